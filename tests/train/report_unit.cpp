// metrics.json, history.csv and the atomic file writes behind them.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "engine/ops/factory.h"
#include "tests/data/data_test_util.h"
#include "tests/support/testing.h"
#include "train/report.h"

namespace fovea::train {
namespace {

using data::testing::TempDir;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

using testing::error_of;

// 3 classes; class 2 never occurs, so its AUC is NaN (null in JSON).
ClassificationMetrics small_metrics() {
  const Tensor p =
      from_vector<float>({0.7f, 0.2f, 0.1f, 0.3f, 0.6f, 0.1f, 0.5f, 0.4f, 0.1f}, {3, 3});
  return compute_metrics(p, from_vector<int64_t>({0, 1, 1}, {3}), {"cat", "dog", "eel"});
}

RunSummary small_summary() {
  RunSummary s;
  s.config_name = "simple_cnn";
  s.model_name = "simple_cnn";
  s.device = "cpu";
  s.amp = "off";
  s.total_parameters = 123456;
  s.trainable_parameters = 120000;
  s.train_images_per_second = 812.5;
  s.eval_images_per_second = 2400;
  s.peak_memory_bytes = 1 << 30;
  s.epochs_run = 9;
  s.best_epoch = 4;
  s.monitor = "val_macro_f1";
  s.monitor_mode = "max";
  s.best_monitor_value = 0.875;
  s.stopped_early = true;
  s.wall_seconds = 61.25;
  s.final_train_loss = 0.31;
  s.final_train_accuracy = 0.9;
  s.validation = EvaluationResult{0.42, small_metrics(), std::nullopt};
  const Tensor p = from_vector<float>({0.9f, 0.2f, 0.4f, 0.6f}, {2, 2});
  const Tensor t = from_vector<float>({1, 0, 0, 1}, {2, 2});
  s.test = EvaluationResult{kNotMeasured, std::nullopt,
                            compute_multilabel_metrics(p, t, {"effusion", "edema"})};
  return s;
}

TEST(Report, AtomicWriteReplacesTheFileAndLeavesNoTemporary) {
  TempDir dir;
  write_file_atomically(dir / "a.txt", "first");
  write_file_atomically(dir / "a.txt", "second");
  EXPECT_EQ(read_text(dir / "a.txt"), "second");
  EXPECT_FALSE(std::filesystem::exists(dir / "a.txt.tmp"));
  const std::string message = error_of([&] { write_file_atomically(dir / "no/such/a.txt", "x"); });
  EXPECT_NE(message.find("cannot create"), std::string::npos) << message;
  EXPECT_NE(message.find("no/such/a.txt.tmp"), std::string::npos) << message;
  // A rename that fails (onto a non-empty folder) names the system's reason, and removes
  // its temporary file.
  std::filesystem::create_directories(dir / "taken" / "inside");
  const std::string rename_message = error_of([&] { write_file_atomically(dir / "taken", "x"); });
  EXPECT_NE(rename_message.find("cannot rename"), std::string::npos) << rename_message;
  EXPECT_EQ(rename_message.find("Success"), std::string::npos) << rename_message;
  EXPECT_FALSE(std::filesystem::exists(dir / "taken.tmp"));
}

TEST(Report, MetricsJsonHasTheDocumentedLayout) {
  TempDir dir;
  write_metrics_json(dir / "metrics.json", small_summary());
  const nlohmann::json json = nlohmann::json::parse(read_text(dir / "metrics.json"));
  EXPECT_EQ(json["config"], "simple_cnn");
  EXPECT_EQ(json["parameters"]["total"], 123456);
  EXPECT_EQ(json["parameters"]["trainable"], 120000);
  EXPECT_EQ(json["images_per_second"]["train"], 812.5);
  EXPECT_EQ(json["peak_memory_bytes"], 1 << 30);
  EXPECT_EQ(json["training"]["best_epoch"], 4);
  EXPECT_EQ(json["training"]["monitor"], "val_macro_f1");
  EXPECT_EQ(json["training"]["stopped_early"], true);
  const nlohmann::json& validation = json["validation"];
  EXPECT_EQ(validation["loss"], 0.42);
  const nlohmann::json& cls = validation["classification"];
  EXPECT_NEAR(cls["accuracy"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_TRUE(cls["top5_accuracy"].is_null());  // 3 classes
  EXPECT_EQ(cls["per_class"][2]["name"], "eel");
  EXPECT_TRUE(cls["per_class"][2]["auc"].is_null());  // NaN: no positives
  EXPECT_EQ(cls["confusion_matrix"], nlohmann::json::parse("[[1,0,0],[1,1,0],[0,0,0]]"));
  EXPECT_TRUE(json["test"]["loss"].is_null());
  EXPECT_EQ(json["test"]["multilabel"]["per_label"][1]["name"], "edema");
  EXPECT_FALSE(json["test"].contains("classification"));
}

TEST(Report, MetricsJsonRoundTrips) {
  TempDir dir;
  const RunSummary written = small_summary();
  write_metrics_json(dir / "metrics.json", written);
  const RunSummary read = read_metrics_json(dir / "metrics.json");
  EXPECT_EQ(read.model_name, written.model_name);
  EXPECT_EQ(read.total_parameters, written.total_parameters);
  EXPECT_EQ(read.train_images_per_second, written.train_images_per_second);
  EXPECT_EQ(read.best_monitor_value, written.best_monitor_value);
  EXPECT_EQ(read.stopped_early, true);
  ASSERT_TRUE(read.validation && read.validation->classification);
  const ClassificationMetrics& a = *read.validation->classification;
  const ClassificationMetrics& b = *written.validation->classification;
  EXPECT_EQ(a.confusion, b.confusion);
  EXPECT_EQ(a.macro_f1, b.macro_f1);  // shortest round-trip printing: exact
  EXPECT_FALSE(a.top5_accuracy.has_value());
  EXPECT_TRUE(std::isnan(a.per_class[2].auc));
  EXPECT_EQ(a.per_class[1].name, "dog");
  ASSERT_TRUE(read.test && read.test->multilabel);
  EXPECT_TRUE(std::isnan(read.test->loss));
  EXPECT_EQ(read.test->multilabel->mean_auc, written.test->multilabel->mean_auc);
}

TEST(Report, ReadingBadMetricsJsonNamesTheFileAndKey) {
  TempDir dir;
  nlohmann::ordered_json json = to_json(small_summary());
  json["parameters"].erase("trainable");
  write_file_atomically(dir / "m.json", json.dump());
  std::string message = error_of([&] { read_metrics_json(dir / "m.json"); });
  EXPECT_NE(message.find("m.json"), std::string::npos) << message;
  EXPECT_NE(message.find("missing key 'trainable'"), std::string::npos) << message;
  write_file_atomically(dir / "broken.json", "{\"config\": ");
  message = error_of([&] { read_metrics_json(dir / "broken.json"); });
  EXPECT_NE(message.find("broken.json' is not valid metrics JSON"), std::string::npos) << message;
}

TEST(Report, ClassificationReportListsClassesAndAverages) {
  const std::string report = classification_report(small_metrics());
  EXPECT_NE(report.find("precision"), std::string::npos);
  EXPECT_NE(report.find("         dog     1.0000    0.5000    0.6667         2"), std::string::npos)
      << report;
  EXPECT_NE(report.find("macro avg"), std::string::npos);
  EXPECT_NE(report.find("1 class(es) without positives or negatives"), std::string::npos);
}

EpochRecord epoch(int64_t n, double loss) {
  EpochRecord r;
  r.epoch = n;
  r.train_loss = loss;
  r.train_acc = 0.5;
  r.val_loss = loss + 0.1;
  r.val_acc = 0.25;
  r.val_macro_f1 = 0.2;
  r.lr = 3e-4;
  r.epoch_seconds = 12.5;
  return r;
}

TEST(History, WritesOneFlushedRowPerEpoch) {
  TempDir dir;
  HistoryWriter writer(dir / "history.csv", {"val_top5"});
  EpochRecord first = epoch(1, 1.5);
  first.extra = {{"val_top5", 0.875}};
  writer.append(first);
  EpochRecord second = epoch(2, 0.75);
  second.val_loss = kNotMeasured;  // no validation this epoch: an empty cell
  writer.append(second);
  // Read while the writer is still open, as after a SIGKILL: every row is on disk.
  EXPECT_EQ(read_text(dir / "history.csv"),
            "epoch,train_loss,train_acc,val_loss,val_acc,val_macro_f1,lr,epoch_seconds,val_top5\n"
            "1,1.5,0.5,1.6,0.25,0.2,0.0003,12.5,0.875\n"
            "2,0.75,0.5,,0.25,0.2,0.0003,12.5,\n");
  const std::vector<EpochRecord> rows = read_history_csv(dir / "history.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].train_loss, 1.5);
  EXPECT_EQ(rows[0].value("val_top5"), 0.875);
  EXPECT_TRUE(std::isnan(rows[1].val_loss));
  EXPECT_TRUE(std::isnan(rows[1].value("val_top5")));
  EXPECT_EQ(writer.records().size(), 2u);
}

TEST(History, ResumeKeepsRowsUpToTheCheckpointAndDropsACutRow) {
  TempDir dir;
  {
    HistoryWriter writer(dir / "history.csv");
    for (int64_t e = 1; e <= 4; ++e) writer.append(epoch(e, 1.0 / e));
  }
  {  // a kill in the middle of writing a fifth row
    std::ofstream out(dir / "history.csv", std::ios::app);
    out << "5,0.2,0.5";
  }
  HistoryWriter resumed = HistoryWriter::resume(dir / "history.csv", 2);
  ASSERT_EQ(resumed.records().size(), 2u);
  EXPECT_EQ(resumed.records()[1].train_loss, 0.5);
  resumed.append(epoch(3, 0.125));
  const std::vector<EpochRecord> rows = read_history_csv(dir / "history.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].epoch, 3);
  EXPECT_EQ(rows[2].train_loss, 0.125);
  // No file yet (killed before the first epoch ended): a fresh history.
  HistoryWriter fresh = HistoryWriter::resume(dir / "new.csv", 7);
  EXPECT_TRUE(fresh.records().empty());
  EXPECT_TRUE(std::filesystem::exists(dir / "new.csv"));
}

TEST(History, MisuseIsRefusedWithAClearMessage) {
  TempDir dir;
  HistoryWriter writer(dir / "history.csv", {"ema_val_acc"});
  writer.append(epoch(1, 1.0));
  EXPECT_NE(error_of([&] {
              writer.append(epoch(1, 1.0));
            }).find("epoch 1 comes after epoch 1; epochs must increase"),
            std::string::npos);
  EpochRecord unknown = epoch(2, 1.0);
  unknown.extra = {{"val_top5", 0.5}};
  EXPECT_NE(error_of([&] { writer.append(unknown); }).find("'val_top5' is not one of its columns"),
            std::string::npos);
  EXPECT_NE(error_of([&] { HistoryWriter::resume(dir / "history.csv", 1); })
                .find("it has the columns [epoch,train_loss,train_acc,val_loss,val_acc,"
                      "val_macro_f1,lr,epoch_seconds,ema_val_acc] but this run writes"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              HistoryWriter(dir / "h2.csv", {"a,b"});
            }).find("extra column name 'a,b' must be non-empty and free of commas"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              HistoryWriter(dir / "h3.csv", {"lr"});
            }).find("column 'lr' is given twice (or is a standard column)"),
            std::string::npos);
  write_file_atomically(dir / "bad.csv", "epoch,train_loss\n1,abc\n");
  EXPECT_NE(error_of([&] {
              read_history_csv(dir / "bad.csv");
            }).find("bad.csv:2: column 'train_loss' holds 'abc', which is not a number"),
            std::string::npos);
}

}  // namespace
}  // namespace fovea::train
