/*
 * The few socket calls Node.js lacks and a transparent proxy needs:
 *   - the original destination of a connection redirected by netfilter
 *     (SO_ORIGINAL_DST for IPv4, IP6T_SO_ORIGINAL_DST for IPv6);
 *   - IP_TRANSPARENT / IPV6_TRANSPARENT on a listening socket, so that TPROXY
 *     can hand it connections addressed to non-local addresses;
 *   - SO_MARK, so that upstream connections can carry a firewall mark.
 *
 * Every function takes a file descriptor (from the libuv handle) and throws a
 * JavaScript Error whose `code` is the errno name (ENOENT, EPERM, ...) when
 * the kernel refuses.
 */
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>;
 * spelled out so that the addon does not depend on kernel headers. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef SO_MARK
#define SO_MARK 36
#endif

static const char *errno_name(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ENOTCONN: return "ENOTCONN";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EFAULT: return "EFAULT";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s (%s)", syscall, strerror(err), errno_name(err));
  napi_throw_error(env, errno_name(err), message);
  return NULL;
}

/* Reads the argument list: a file descriptor and, optionally, one more integer. */
static int read_int_args(napi_env env, napi_callback_info info, size_t wanted, int32_t *out) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < wanted) {
    napi_throw_type_error(env, "EINVAL", "missing argument: expected a file descriptor");
    return 0;
  }
  for (size_t i = 0; i < wanted; i++) {
    napi_valuetype type;
    napi_typeof(env, argv[i], &type);
    if (type != napi_number) {
      napi_throw_type_error(env, "EINVAL", "arguments must be integers");
      return 0;
    }
    napi_get_value_int32(env, argv[i], &out[i]);
  }
  return 1;
}

static napi_value make_address(napi_env env, const char *family, const char *address, int port) {
  napi_value result, value;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "family", value);
  napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "address", value);
  napi_create_int32(env, port, &value);
  napi_set_named_property(env, result, "port", value);
  return result;
}

/* getOriginalDst(fd) -> { family: 'IPv4' | 'IPv6', address, port } */
static napi_value get_original_dst(napi_env env, napi_callback_info info) {
  int32_t args[1];
  if (!read_int_args(env, info, 1, args)) return NULL;
  int fd = args[0];

  /* The socket's own family decides which table to ask: an IPv6 socket's
   * connection was redirected by ip6tables. */
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) != 0) {
    return throw_errno(env, "getsockname", errno);
  }

  char text[INET6_ADDRSTRLEN];
  if (local.ss_family == AF_INET6) {
    struct sockaddr_in6 dst;
    socklen_t len = sizeof dst;
    memset(&dst, 0, sizeof dst);
    if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst, &len) != 0) {
      /* A v4 connection accepted on a dual-stack socket was redirected by iptables. */
      struct sockaddr_in dst4;
      socklen_t len4 = sizeof dst4;
      int err6 = errno;
      if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst4, &len4) != 0) {
        return throw_errno(env, "getsockopt(IP6T_SO_ORIGINAL_DST)", err6);
      }
      inet_ntop(AF_INET, &dst4.sin_addr, text, sizeof text);
      return make_address(env, "IPv4", text, ntohs(dst4.sin_port));
    }
    inet_ntop(AF_INET6, &dst.sin6_addr, text, sizeof text);
    return make_address(env, "IPv6", text, ntohs(dst.sin6_port));
  }
  if (local.ss_family == AF_INET) {
    struct sockaddr_in dst;
    socklen_t len = sizeof dst;
    memset(&dst, 0, sizeof dst);
    if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len) != 0) {
      return throw_errno(env, "getsockopt(SO_ORIGINAL_DST)", errno);
    }
    inet_ntop(AF_INET, &dst.sin_addr, text, sizeof text);
    return make_address(env, "IPv4", text, ntohs(dst.sin_port));
  }
  return throw_errno(env, "getsockname", EAFNOSUPPORT);
}

/* setTransparent(fd, on): IP_TRANSPARENT, and IPV6_TRANSPARENT on IPv6 sockets. */
static napi_value set_transparent(napi_env env, napi_callback_info info) {
  int32_t args[2];
  if (!read_int_args(env, info, 2, args)) return NULL;
  int fd = args[0];
  int on = args[1] ? 1 : 0;

  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) != 0) {
    return throw_errno(env, "getsockname", errno);
  }
  if (local.ss_family == AF_INET6) {
    if (setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on, sizeof on) != 0) {
      return throw_errno(env, "setsockopt(IPV6_TRANSPARENT)", errno);
    }
    /* A dual-stack socket also takes IPv4 connections; failure here is not
     * fatal for a v6-only socket. */
    (void)setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof on);
  } else if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof on) != 0) {
    return throw_errno(env, "setsockopt(IP_TRANSPARENT)", errno);
  }
  return NULL;
}

/* setMark(fd, mark): SO_MARK. */
static napi_value set_mark(napi_env env, napi_callback_info info) {
  int32_t args[2];
  if (!read_int_args(env, info, 2, args)) return NULL;
  uint32_t mark = (uint32_t)args[1];
  if (setsockopt(args[0], SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    return throw_errno(env, "setsockopt(SO_MARK)", errno);
  }
  return NULL;
}

/* getMark(fd) -> number: SO_MARK, so that callers and tests can see what is set. */
static napi_value get_mark(napi_env env, napi_callback_info info) {
  int32_t args[1];
  if (!read_int_args(env, info, 1, args)) return NULL;
  uint32_t mark = 0;
  socklen_t len = sizeof mark;
  if (getsockopt(args[0], SOL_SOCKET, SO_MARK, &mark, &len) != 0) {
    return throw_errno(env, "getsockopt(SO_MARK)", errno);
  }
  napi_value result;
  napi_create_uint32(env, mark, &result);
  return result;
}

/* getTransparent(fd) -> boolean */
static napi_value get_transparent(napi_env env, napi_callback_info info) {
  int32_t args[1];
  if (!read_int_args(env, info, 1, args)) return NULL;
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  if (getsockname(args[0], (struct sockaddr *)&local, &local_len) != 0) {
    return throw_errno(env, "getsockname", errno);
  }
  int on = 0;
  socklen_t len = sizeof on;
  int rc = local.ss_family == AF_INET6
               ? getsockopt(args[0], SOL_IPV6, IPV6_TRANSPARENT, &on, &len)
               : getsockopt(args[0], SOL_IP, IP_TRANSPARENT, &on, &len);
  if (rc != 0) return throw_errno(env, "getsockopt(IP_TRANSPARENT)", errno);
  napi_value result;
  napi_get_boolean(env, on != 0, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"getOriginalDst", NULL, get_original_dst, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setTransparent", NULL, set_transparent, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getTransparent", NULL, get_transparent, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMark", NULL, set_mark, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getMark", NULL, get_mark, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
