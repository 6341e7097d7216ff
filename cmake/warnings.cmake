# Warnings are errors for our own code, so the build stays warnings-clean.
function(fovea_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror>)
endfunction()
