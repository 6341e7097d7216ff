# The CUDA backend: kernels/cuda/*.cu compiled by nvcc into libfovea, plus the CUDA
# runtime, cuBLAS(Lt) and cuDNN. Any nvcc warning fails the build.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()
enable_language(CUDA)
# CMake 3.25 does not know nvcc 13's C++20 flag (its CUDA20 option is empty): give it.
if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
  set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
  set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
endif()
set(CMAKE_CUDA_STANDARD 20)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)

# CUDNN_ROOT (a variable or the environment) points at a cuDNN outside the toolkit, such as
# the nvidia-cudnn-cu13 wheel's folder, which ships libcudnn.so.9 without the bare .so link.
find_library(CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
  HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu
  PATH_SUFFIXES lib lib64)
find_path(CUDNN_INCLUDE_DIR cudnn.h
  HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS} /usr/include
  PATH_SUFFIXES include)
if(NOT CUDNN_LIBRARY OR NOT CUDNN_INCLUDE_DIR)
  message(FATAL_ERROR "FOVEA_CUDA=ON but cuDNN 9 was not found (cudnn.h / libcudnn.so). "
                      "Install cuDNN or configure with -DFOVEA_CUDA=OFF.")
endif()

# The launchers (kernels/cuda/*.cu), the runtime (engine/cuda) and the host halves of the
# CUDA ops (engine/ops/cuda).
file(GLOB FOVEA_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/kernels/cuda/*.cu
     ${CMAKE_CURRENT_SOURCE_DIR}/kernels/cuda/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/engine/cuda/*.cpp
     ${CMAKE_CURRENT_SOURCE_DIR}/engine/ops/cuda/*.cpp)
target_sources(fovea PRIVATE ${FOVEA_CUDA_SOURCES})
target_compile_options(fovea PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings --expt-relaxed-constexpr -Xcompiler=-Wall,-Wextra>)
target_include_directories(fovea PUBLIC ${CUDNN_INCLUDE_DIR})
target_link_libraries(fovea PUBLIC CUDA::cudart CUDA::cublas CUDA::cublasLt ${CUDNN_LIBRARY})
# libfovea was created before this file ran, so its CUDA properties are set here.
set_target_properties(fovea PROPERTIES CUDA_SEPARABLE_COMPILATION OFF
  CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}" CUDA_STANDARD 20 CUDA_STANDARD_REQUIRED ON)
message(STATUS "fovea: CUDA backend ON, architectures ${CMAKE_CUDA_ARCHITECTURES}, cuDNN ${CUDNN_LIBRARY}")
# nvcc's front end cannot evaluate fmt 9's consteval format-string check (fail() in
# kernels/cuda/check.h); .cu files format at run time instead.
target_compile_definitions(fovea PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:FMT_CONSTEVAL=constexpr>)
