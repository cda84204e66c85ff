// The fan-out processes' send loop (node/rpc/send-loop.ts): one call writes a turn's frames to many
// sockets, each socket's frames in one non-blocking sendmsg(2) (MSG_DONTWAIT: never waits for a full
// socket buffer; MSG_NOSIGNAL: a closed peer is an EPIPE, not a SIGPIPE). What did not fit is the caller's
// to write through libuv. Against a libuv write per socket this saves the write request, the stream
// bookkeeping and the JS <-> C++ crossing per socket (docs/benchmarks.md "fan-out: native send loop").
// Linux only (MSG_NOSIGNAL); elsewhere the addon exports nothing and the JS path is used.
#include <node_api.h>
#include <stdint.h>
#ifdef __linux__
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#define MAX_IOV 256   // buffers to one socket in one call (more: sent as far as these, the rest is the caller's)

static napi_value throw_type(napi_env env, const char* msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok) return 0;
  return t == want;
}

// sendMany(fds: Int32Array, bufs: Buffer[], starts: Int32Array, idx: Int32Array, out: Int32Array, doneAt: Float64Array): number
// Socket i (fd fds[i]) is sent bufs[idx[starts[i]]], ..., bufs[idx[starts[i+1] - 1]], in that order, in one
// sendmsg(2). out[i] = bytes sent (possibly fewer than asked) or -errno (-EAGAIN: none, the socket buffer
// is full); doneAt[i] = CLOCK_MONOTONIC ms when that call returned (the clock of process.hrtime). Returns
// how many sockets were sent everything they were given.
static napi_value SendMany(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) return throw_type(env, "sendMany: 6 arguments");
  int32_t *fds, *starts, *idx, *out;
  double* doneAt;
  size_t n, ns, ni, no, nd;
  if (!typed(env, argv[0], napi_int32_array, (void**)&fds, &n) || !typed(env, argv[2], napi_int32_array, (void**)&starts, &ns) ||
      !typed(env, argv[3], napi_int32_array, (void**)&idx, &ni) || !typed(env, argv[4], napi_int32_array, (void**)&out, &no) ||
      !typed(env, argv[5], napi_float64_array, (void**)&doneAt, &nd))
    return throw_type(env, "sendMany: fds, starts, idx, out: Int32Array; doneAt: Float64Array");
  if (ns < n + 1 || no < n || nd < n) return throw_type(env, "sendMany: starts, out or doneAt too short");
  uint32_t nb;
  bool isArray;
  if (napi_is_array(env, argv[1], &isArray) != napi_ok || !isArray || napi_get_array_length(env, argv[1], &nb) != napi_ok)
    return throw_type(env, "sendMany: bufs must be an array of Buffers");
  // Check every index before the first system call: nothing is sent on bad input.
  for (size_t i = 0; i < n; i++) {
    if (starts[i] < 0 || starts[i] > starts[i + 1] || (size_t)starts[i + 1] > ni) return throw_type(env, "sendMany: bad starts");
  }
  for (size_t k = 0; k < (n > 0 ? (size_t)starts[n] : 0); k++) {
    if (idx[k] < 0 || (uint32_t)idx[k] >= nb) return throw_type(env, "sendMany: bad buffer index");
  }
  struct iovec* bufs = malloc((nb > 0 ? nb : 1) * sizeof(struct iovec));
  if (bufs == NULL) {
    napi_throw_error(env, NULL, "sendMany: out of memory");
    return NULL;
  }
  for (uint32_t b = 0; b < nb; b++) {
    napi_value e;
    bool isBuf;
    if (napi_get_element(env, argv[1], b, &e) != napi_ok || napi_is_buffer(env, e, &isBuf) != napi_ok || !isBuf ||
        napi_get_buffer_info(env, e, &bufs[b].iov_base, &bufs[b].iov_len) != napi_ok) {
      free(bufs);
      return throw_type(env, "sendMany: bufs must hold Buffers");
    }
  }
  struct iovec iov[MAX_IOV];
  int32_t whole = 0;
  struct timespec ts;
  for (size_t i = 0; i < n; i++) {
    int32_t first = starts[i];
    int32_t count = starts[i + 1] - first;
    if (count > MAX_IOV) count = MAX_IOV; // the rest goes the caller's way, like any partial send
    ssize_t want = 0, r;
    if (fds[i] < 0) {
      r = -1;
      errno = EBADF;
    } else if (count == 1) {
      want = (ssize_t)bufs[idx[first]].iov_len;
      r = send(fds[i], bufs[idx[first]].iov_base, bufs[idx[first]].iov_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } else {
      for (int32_t k = 0; k < count; k++) {
        iov[k] = bufs[idx[first + k]];
        want += (ssize_t)iov[k].iov_len;
      }
      struct msghdr msg = {0};
      msg.msg_iov = iov;
      msg.msg_iovlen = (size_t)count;
      r = sendmsg(fds[i], &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    out[i] = r < 0 ? -errno : (int32_t)r;
    if (r >= 0 && r == want && count == starts[i + 1] - first) whole++;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    doneAt[i] = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
  }
  free(bufs);
  napi_value res;
  napi_create_int32(env, whole, &res);
  return res;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value f;
  napi_create_function(env, "sendMany", NAPI_AUTO_LENGTH, SendMany, NULL, &f);
  napi_set_named_property(env, exports, "sendMany", f);
  return exports;
}
#else
static napi_value Init(napi_env env, napi_value exports) {
  (void)env;
  return exports;
}
#endif

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
