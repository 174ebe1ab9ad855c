// glibc malloc options for the service (src/memoryTuning.ts). mallopt() can only be called
// from C, and the variables glibc reads instead (MALLOC_MMAP_THRESHOLD_, ...) count only when
// set before the process starts. Built by build.mjs into dist/ next to server.js.
//
// Exports: glibc (boolean), M_MMAP_THRESHOLD and M_TRIM_THRESHOLD (glibc's parameter numbers,
// absent elsewhere), and mallopt(param, value) -> boolean (false where glibc refuses the value,
// and always false without glibc).
#define NAPI_VERSION 8
#include <limits.h>
#include <math.h>
#include <node_api.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

// A failed N-API call throws (unless it left an exception pending already) rather than
// returning undefined, which the caller would take for an answer.
#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) {                                                                                           \
      bool pending = false;                                                                                            \
      napi_is_exception_pending(env, &pending);                                                                        \
      if (!pending) {                                                                                                  \
        napi_throw_error(env, NULL, "pyflare-malloc: N-API call failed: " #call);                                     \
      }                                                                                                                \
      return NULL;                                                                                                     \
    }                                                                                                                  \
  } while (0)

static napi_value set_option(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int args[2];
  for (size_t i = 0; i < 2; i++) {
    napi_valuetype t = napi_undefined;
    if (i < argc) {
      CHECK(napi_typeof(env, argv[i], &t));
    }
    if (t != napi_number) {
      napi_throw_type_error(env, NULL, "mallopt(param, value): both must be numbers");
      return NULL;
    }
    // As a double: napi_get_value_int64 would turn NaN and infinities into 0 and cut 1.5 to 1.
    double d = 0;
    CHECK(napi_get_value_double(env, argv[i], &d));
    if (!isfinite(d) || d != floor(d) || d < INT_MIN || d > INT_MAX) {
      napi_throw_range_error(env, NULL, "mallopt(param, value): both must be integers that fit a C int");
      return NULL;
    }
    args[i] = (int)d;
  }
  int ok = 0;
#ifdef __GLIBC__
  ok = mallopt(args[0], args[1]);
#endif
  napi_value result;
  CHECK(napi_get_boolean(env, ok == 1, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value v;
  CHECK(napi_create_function(env, "mallopt", NAPI_AUTO_LENGTH, set_option, NULL, &v));
  CHECK(napi_set_named_property(env, exports, "mallopt", v));
#ifdef __GLIBC__
  CHECK(napi_get_boolean(env, 1, &v));
  CHECK(napi_set_named_property(env, exports, "glibc", v));
  CHECK(napi_create_int32(env, M_MMAP_THRESHOLD, &v));
  CHECK(napi_set_named_property(env, exports, "M_MMAP_THRESHOLD", v));
  CHECK(napi_create_int32(env, M_TRIM_THRESHOLD, &v));
  CHECK(napi_set_named_property(env, exports, "M_TRIM_THRESHOLD", v));
#else
  CHECK(napi_get_boolean(env, 0, &v));
  CHECK(napi_set_named_property(env, exports, "glibc", v));
#endif
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
