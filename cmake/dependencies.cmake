# Third-party libraries, all from Debian packages (test.sh and run.sh install them).
# They are gathered into one interface target, fovea_deps, that libfovea links.

find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(OpenMP REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(yaml-cpp REQUIRED)  # training configs
# stb_image / stb_image_write (Debian's libstb-dev): JPEG, PNG and BMP decoding for data/.
pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)
# cairo (Debian's libcairo2-dev): the PNG charts of train/plot.cpp.
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)

add_library(fovea_deps INTERFACE)
target_link_libraries(fovea_deps INTERFACE
  Eigen3::Eigen OpenMP::OpenMP_CXX nlohmann_json::nlohmann_json fmt::fmt CLI11::CLI11
  ZLIB::ZLIB Threads::Threads PkgConfig::STB PkgConfig::CAIRO yaml-cpp)

if(FOVEA_NATIVE)
  target_compile_options(fovea_deps INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
if(FOVEA_SANITIZE)
  target_compile_options(fovea_deps INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer>)
  target_link_options(fovea_deps INTERFACE -fsanitize=address,undefined)
endif()
