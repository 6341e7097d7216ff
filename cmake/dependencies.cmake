# Third-party libraries, all from Debian packages (test.sh and run.sh install them).
# They are gathered into one interface target, fovea_deps, that libfovea links.

find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(OpenMP REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
find_package(yaml-cpp REQUIRED)  # training configs
# stb_image / stb_image_write (Debian's libstb-dev): PNG and BMP decoding for data/, the
# JPEGs libjpeg-turbo leaves to it, and the writers. libjpeg-turbo's TurboJPEG API
# (Debian's libturbojpeg0-dev): JPEG decoding, with DCT-domain scaling. cairo (Debian's
# libcairo2-dev): the PNG charts of train/plot.cpp. All three are found by path rather
# than through pkg-config or their CMake packages: cairo.pc asks for a dozen X11 and GLib
# packages' .pc files that the library does not need to link, and libjpeg-turbo's CMake
# package names libjpeg too, which libturbojpeg0-dev neither ships nor needs (libturbojpeg
# carries its own copy); scripts/gpu-deps.sh relies on this.
find_path(STB_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb REQUIRED)
find_library(STB_LIBRARY stb REQUIRED)
find_path(TURBOJPEG_INCLUDE_DIR turbojpeg.h REQUIRED)
find_library(TURBOJPEG_LIBRARY turbojpeg REQUIRED)
find_path(CAIRO_INCLUDE_DIR cairo.h PATH_SUFFIXES cairo REQUIRED)
find_library(CAIRO_LIBRARY cairo REQUIRED)
foreach(library STB TURBOJPEG CAIRO)
  add_library(fovea::${library} UNKNOWN IMPORTED)
  set_target_properties(fovea::${library} PROPERTIES IMPORTED_LOCATION "${${library}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${library}_INCLUDE_DIR}")
endforeach()

add_library(fovea_deps INTERFACE)
target_link_libraries(fovea_deps INTERFACE
  Eigen3::Eigen OpenMP::OpenMP_CXX nlohmann_json::nlohmann_json fmt::fmt CLI11::CLI11
  ZLIB::ZLIB Threads::Threads fovea::STB fovea::TURBOJPEG fovea::CAIRO yaml-cpp)

if(FOVEA_NATIVE)
  target_compile_options(fovea_deps INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()
if(FOVEA_SANITIZE)
  # GCC 12 reports AVX-512 intrinsics in its own headers as reading an uninitialised
  # variable when ASan instruments Eigen's GEMM (GCC bug 105593): not our code's warning.
  target_compile_options(fovea_deps INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-omit-frame-pointer
    -Wno-uninitialized>)
  target_link_options(fovea_deps INTERFACE -fsanitize=address,undefined)
endif()
