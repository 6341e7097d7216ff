# Warnings are errors for our own code, so the build stays warnings-clean.
# -Wmissing-field-initializers is off: fovea's option structs are filled with C++20
# designated initializers ({.stride = {2, 2}}), where leaving the rest at their defaults
# is the point, and GCC 12 warns about every such omitted member.
function(fovea_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-missing-field-initializers>)
endfunction()
