// The sendmany bench's addon (bench/sendmany.ts compiles it with cc at run time; not part of the node): one
// prebuilt frame sent to many sockets with send(2), MSG_DONTWAIT, one system call per socket and no libuv
// write request. sendMany(fds: Int32Array, frame: Buffer, out: Int32Array): out[i] = bytes sent to fds[i]
// or -errno; returns how many got the whole frame.
#include <node_api.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
// sendMany(fds: Int32Array, frame: Buffer, out: Int32Array): out[i] = bytes sent to fds[i] or -errno.
static napi_value SendMany(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type t; size_t n, n2; void *fdsp, *outp; napi_value ab; size_t off;
  napi_get_typedarray_info(env, argv[0], &t, &n, &fdsp, &ab, &off);
  napi_get_typedarray_info(env, argv[2], &t, &n2, &outp, &ab, &off);
  void *data; size_t len;
  napi_get_buffer_info(env, argv[1], &data, &len);
  int32_t *fds = fdsp, *out = outp;
  int32_t ok = 0;
  for (size_t i = 0; i < n; i++) {
    ssize_t r = send(fds[i], data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    out[i] = r < 0 ? -errno : (int32_t)r;
    if (r == (ssize_t)len) ok++;
  }
  napi_value res; napi_create_int32(env, ok, &res); return res;
}
static napi_value Init(napi_env env, napi_value exports) {
  napi_value f; napi_create_function(env, "sendMany", NAPI_AUTO_LENGTH, SendMany, NULL, &f);
  napi_set_named_property(env, exports, "sendMany", f); return exports;
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
