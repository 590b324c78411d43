/* SPDX-License-Identifier: MIT */
/*
 * plc-web's HTTP server: libmicrohttpd with a thread per connection under a
 * connection limit and an idle timeout, so a slow client (slowloris) holds
 * only its own thread until it is dropped. Read only: every answer comes
 * from the snapshot thread's copy, the layout, or a fresh reader handle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "internal.h"
#include "plc-force.h"
#include "tls.h"
#include "plc.h"

struct plc_web {
    const struct plc_layout *layout;
    char *base;
    struct plc_web_config cfg;
    struct web_snapshot *snap;
    struct web_views *views; /* services, scan, alarms, events (views.c) */
    struct MHD_Daemon *daemon;
    uint16_t port;
    struct web_operate *op; /* logins and operator writes (auth.c, write.c) */
    struct web_tls tls;
};

/* Per request: how much body came, and whether it was too much. */
struct request {
    size_t body;
    char *data; /* the body, up to max_body, NUL-terminated (logins and writes read it) */
};

/* ---- answers ------------------------------------------------------------- */

/* @p headers: name, value pairs ending in NULL, or NULL (a 405 then allows GET, HEAD). */
static enum MHD_Result send_text_with(struct MHD_Connection *conn, unsigned status,
                                      const char *type, const void *data, size_t len,
                                      enum MHD_ResponseMemoryMode mode,
                                      const char *const *headers)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data, mode);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    for (size_t i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED && !headers)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *type,
                                 const void *data, size_t len, enum MHD_ResponseMemoryMode mode)
{
    return send_text_with(conn, status, type, data, len, mode, NULL);
}

/* Send @p obj (its reference is taken). */
static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_object *obj)
{
    return web_send_json(conn, status, obj, NULL);
}

static enum MHD_Result send_errorv(struct MHD_Connection *conn, unsigned status,
                                   const char *const *headers, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *fmt,
                                  ...) __attribute__((format(printf, 3, 4)));
static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *fmt,
                                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum MHD_Result rc = send_errorv(conn, status, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

/* The answers of the other files (auth.c, write.c), with headers of their own. */
enum MHD_Result web_send_json(struct MHD_Connection *conn, unsigned status, json_object *obj,
                              const char *const *headers)
{
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    enum MHD_Result rc = text ? send_text_with(conn, status, "application/json", text,
                                               strlen(text), MHD_RESPMEM_MUST_COPY, headers)
                              : MHD_NO;
    json_object_put(obj);
    return rc;
}

static enum MHD_Result send_errorv(struct MHD_Connection *conn, unsigned status,
                                   const char *const *headers, const char *fmt, va_list ap)
{
    return web_send_json(conn, status, web_error_vjson(fmt, ap), headers);
}

enum MHD_Result web_send_error(struct MHD_Connection *conn, unsigned status,
                               const char *const *headers, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum MHD_Result rc = send_errorv(conn, status, headers, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- /api/... ------------------------------------------------------------ */

static json_object *hash_json(uint64_t hash)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%016" PRIx64, hash);
    return json_object_new_string(buf);
}

static json_object *api_layout(struct plc_web *web)
{
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "name", json_object_new_string(plc_layout_get_name(web->layout)));
    json_object_object_add(obj, "version",
                           json_object_new_int64(plc_layout_get_version(web->layout)));
    json_object_object_add(obj, "hash", hash_json(plc_layout_get_hash(web->layout)));
    return obj;
}

/* Seconds as JSON, null for -1 (never). */
static json_object *age_json(int64_t age_ns)
{
    return age_ns < 0 ? NULL : json_object_new_double((double)age_ns / 1e9);
}

/* One row of the regions table, as plcctl ls (--json) gives it. */
static json_object *region_json(struct plc_web *web, const struct plc_region_def *def)
{
    json_object *row = json_object_new_object();
    struct plc_region_info info;
    json_object_object_add(row, "region", json_object_new_string(def->name));
    json_object_object_add(row, "size", json_object_new_uint64(def->size));
    json_object_object_add(row, "data_size", json_object_new_uint64(def->data_size));
    json_object_object_add(row, "writer", json_object_new_string(def->writer));
    struct plc_region *r =
        plc_region_attach(web->layout, web->base, def->name, PLC_READER, NULL, NULL);
    if (!r || plc_region_get_info(r, &info) < 0) {
        json_object_object_add(row, "status", json_object_new_string(plc_strerror(errno)));
        plc_region_detach(r);
        return row;
    }
    json_object_object_add(row, "writer_pid",
                           info.writer_pid ? json_object_new_int64(info.writer_pid) : NULL);
    json_object_object_add(row, "writer_alive", json_object_new_boolean(info.writer_alive));
    json_object_object_add(row, "seq", json_object_new_uint64(info.seq));
    json_object_object_add(row, "epoch", json_object_new_uint64(info.epoch));
    json_object_object_add(row, "heartbeat_age_s", age_json(info.heartbeat_age_ns));
    json_object_object_add(row, "update_age_s", age_json(info.update_age_ns));
    /* Processes mapping it, less this one and the live writer (as plcctl ls). */
    int n = plc_region_count_mappers(r);
    if (n >= 0) {
        n -= 1 + (info.writer_alive ? 1 : 0);
        json_object_object_add(row, "readers", json_object_new_int(n < 0 ? 0 : n));
    }
    json_object_object_add(row, "reads", json_object_new_uint64(info.reads));
    json_object_object_add(row, "retries", json_object_new_uint64(info.retries));
    json_object_object_add(row, "stale_reads", json_object_new_uint64(info.stale_reads));
    json_object_object_add(row, "status", json_object_new_string("ok"));
    plc_region_detach(r);
    return row;
}

static json_object *api_regions(struct plc_web *web)
{
    json_object *rows = json_object_new_array();
    for (size_t i = 0; i < plc_layout_region_count(web->layout); i++)
        json_object_array_add(rows, region_json(web, plc_layout_region_at(web->layout, i)));
    return rows;
}

static json_object *modbus_json(const struct plc_modbus_binding *mb)
{
    char ref[16];
    if (!mb->table || plc_web_modbus_ref(mb->table, mb->address, ref, sizeof(ref)) < 0)
        return NULL;
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "table", json_object_new_string(plc_modbus_table_name(mb->table)));
    json_object_object_add(obj, "address", json_object_new_int(mb->address));
    json_object_object_add(obj, "reference", json_object_new_string(ref));
    json_object_object_add(obj, "count", json_object_new_int(mb->count));
    return obj;
}

/* Tag @p i with its value; @p forces may be NULL (nothing forced). */
static json_object *tag_json(struct plc_web *web, size_t i, struct plc_force_table *forces)
{
    const struct plc_tag_def *tag = plc_layout_tag_at(web->layout, i);
    struct plc_force f;
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "name", json_object_new_string(tag->name));
    json_object_object_add(obj, "region", json_object_new_string(tag->region->name));
    json_object_object_add(obj, "type", json_object_new_string(plc_type_name(tag->type)));
    json_object_object_add(obj, "unit", json_object_new_string(tag->unit));
    json_object_object_add(obj, "description", json_object_new_string(tag->description));
    json_object_object_add(obj, "value", web_snapshot_value(web->snap, i));
    json_object_object_add(obj, "modbus", modbus_json(&tag->modbus));
    bool forced = forces && plc_force_table_find(forces, tag, 0, &f) == 1;
    json_object_object_add(obj, "forced", json_object_new_boolean(forced));
    json_object_object_add(obj, "retained", json_object_new_boolean(tag->retain));
    return obj;
}

static struct plc_force_table *forces_open(struct plc_web *web)
{
    return plc_force_table_open(web->layout, web->base, PLC_READER, NULL);
}

static json_object *api_tags(struct plc_web *web)
{
    struct plc_force_table *forces = forces_open(web);
    json_object *rows = json_object_new_array();
    for (size_t i = 0; i < plc_layout_tag_count(web->layout); i++)
        json_object_array_add(rows, tag_json(web, i, forces));
    plc_force_table_close(forces);
    return rows;
}

static enum MHD_Result api_tag(struct plc_web *web, struct MHD_Connection *conn, const char *name)
{
    const struct plc_tag_def *tag = plc_layout_find_tag(web->layout, name);
    if (!tag)
        return send_error(conn, MHD_HTTP_NOT_FOUND, "unknown tag '%s' in layout '%s'", name,
                          plc_layout_get_name(web->layout));
    size_t i = 0;
    while (plc_layout_tag_at(web->layout, i) != tag)
        i++;
    struct plc_force_table *forces = forces_open(web);
    json_object *obj = tag_json(web, i, forces);
    plc_force_table_close(forces);
    return send_json(conn, MHD_HTTP_OK, obj);
}

/* The tags of the diagnostics region (scan statistics), by name. */
static enum MHD_Result api_stats(struct plc_web *web, struct MHD_Connection *conn)
{
    const struct plc_region_def *def = plc_layout_find_region(web->layout, "diagnostics");
    if (!def)
        return send_error(conn, MHD_HTTP_NOT_FOUND, "layout '%s' has no region 'diagnostics'",
                          plc_layout_get_name(web->layout));
    json_object *obj = json_object_new_object();
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++)
        json_object_object_add(obj, plc_layout_tag_at(web->layout, i)->name,
                               web_snapshot_value(web->snap, i));
    return send_json(conn, MHD_HTTP_OK, obj);
}

/* ---- /api/stream: Server-Sent Events ------------------------------------- */

struct stream {
    struct plc_web *web;
    uint64_t last;
    char *text; /* what is left to send of the last event text */
    size_t len, off;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    static const char keepalive[] = ": keepalive\n\n";
    struct stream *st = cls;
    if (st->off == st->len) {
        free(st->text);
        st->text = NULL;
        st->off = st->len = 0;
        /* A comment at least every half timeout keeps an idle stream from being dropped. */
        unsigned wait_ms = st->web->cfg.timeout_s ? st->web->cfg.timeout_s * 500 : 1000;
        int rc =
            web_snapshot_next(st->web->snap, &st->last, wait_ms > 1000 ? 1000 : wait_ms, &st->text);
        if (rc < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (rc == 0)
            st->text = strdup(keepalive);
        if (!st->text)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        st->len = strlen(st->text);
    }
    size_t n = st->len - st->off < max ? st->len - st->off : max;
    memcpy(buf, st->text + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    web_snapshot_stream_end(st->web->snap);
    free(st->text);
    free(st);
}

int web_queue_sse(struct MHD_Connection *conn, ssize_t (*reader)(void *, uint64_t, char *, size_t),
                  void *cls, void (*done)(void *))
{
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, cls, done);
    if (!resp) {
        done(cls);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result api_stream(struct plc_web *web, struct MHD_Connection *conn)
{
    struct stream *st = calloc(1, sizeof(*st));
    if (!st)
        return MHD_NO;
    st->web = web;
    st->last = WEB_STREAM_NEW;
    /* Before queueing: every path out of web_queue_sse() ends it in stream_free(). */
    web_snapshot_stream_begin(web->snap);
    return web_queue_sse(conn, stream_read, st, stream_free);
}

/* ---- routing -------------------------------------------------------------- */

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (dot && strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    return "text/html; charset=utf-8";
}

static const struct web_asset *find_asset(const char *url)
{
    if (strcmp(url, "/") == 0)
        url = "/index.html";
    for (size_t i = 0; i < web_asset_count; i++)
        if (strcmp(web_assets[i].path, url) == 0)
            return &web_assets[i];
    return NULL;
}

static enum MHD_Result route(struct plc_web *web, struct MHD_Connection *conn, const char *url,
                             bool get)
{
    static const char *const exact[] = {"/api/layout", "/api/regions", "/api/tags", "/api/stats",
                                        "/api/stream"};
    /* The overview, alarms and events views answer their own paths (views.c). */
    json_object *body = NULL;
    int view = web_views_route(web->views, conn, url, get, &body);
    if (view > 0)
        return send_json(conn, (unsigned)view, body);
    if (view != WEB_VIEW_NOT_MINE)
        return view == WEB_VIEW_STREAM_OK ? MHD_YES : MHD_NO;
    const struct web_asset *asset = find_asset(url);
    bool known = asset != NULL || strncmp(url, "/api/tags/", 10) == 0;
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        known |= strcmp(url, exact[i]) == 0;
    if (!known)
        return send_error(conn, MHD_HTTP_NOT_FOUND, "no such path '%s'", url);
    if (!get)
        return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "'%s' is read only: use GET", url);

    if (asset)
        return send_text(conn, MHD_HTTP_OK, content_type(asset->path), asset->data, asset->size,
                         MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/api/layout") == 0)
        return send_json(conn, MHD_HTTP_OK, api_layout(web));
    if (strcmp(url, "/api/regions") == 0)
        return send_json(conn, MHD_HTTP_OK, api_regions(web));
    if (strcmp(url, "/api/tags") == 0)
        return send_json(conn, MHD_HTTP_OK, api_tags(web));
    if (strcmp(url, "/api/stats") == 0)
        return api_stats(web, conn);
    if (strcmp(url, "/api/stream") == 0)
        return api_stream(web, conn);
    return api_tag(web, conn, url + 10);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    struct plc_web *web = cls;
    struct request *req = *req_cls;
    if (!req) {
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        *req_cls = req;
        /* Refused before a byte of it is read: the connection closes after the answer. */
        const char *length =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > web->cfg.max_body)
            return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
                              "request body of %s bytes is larger than the %zu allowed", length,
                              web->cfg.max_body);
        return MHD_YES;
    }
    if (*upload_size) {
        /* A chunked body has no length up front: MHD takes no answer before the
         * body ends, so it is counted and dropped, and the connection closed
         * once it passes many times the limit. Up to the limit it is kept. */
        if (req->body + *upload_size <= web->cfg.max_body) {
            char *grown = realloc(req->data, req->body + *upload_size + 1);
            if (!grown)
                return MHD_NO;
            memcpy(grown + req->body, upload, *upload_size);
            grown[req->body + *upload_size] = '\0';
            req->data = grown;
        }
        req->body += *upload_size;
        *upload_size = 0;
        return req->body > 16 * web->cfg.max_body ? MHD_NO : MHD_YES;
    }
    if (req->body > web->cfg.max_body)
        return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
                          "request body larger than the %zu bytes allowed", web->cfg.max_body);
    /* Logins and operator writes answer every method of their paths (write.c). */
    enum MHD_Result rc;
    if (web_operate_route(web->op, conn, url, method, req->data, req->body, &rc))
        return rc;
    bool get =
        strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    return route(web, conn, url, get);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct request *req = *req_cls;
    if (req)
        free(req->data);
    free(req);
    *req_cls = NULL;
}

/* ---- the handle ------------------------------------------------------------ */

/* A listening socket on "HOST:PORT" or "[V6]:PORT", or -1 with errno and the diag. */
static int listen_on(const char *listen_addr, struct plc_diag *diag)
{
    char host[128];
    const char *colon = strrchr(listen_addr, ':');
    size_t hlen = colon ? (size_t)(colon - listen_addr) : 0;
    const char *h = listen_addr;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (!colon || !hlen || hlen >= sizeof(host) || !colon[1]) {
        plc_diag_set(diag, NULL, "listen address '%s' is not HOST:PORT", listen_addr);
        errno = EINVAL;
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
        plc_diag_set(diag, NULL, "listen address '%s' is not a numeric address and port",
                     listen_addr);
        errno = EINVAL;
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        int err = errno;
        plc_diag_set(diag, NULL, "cannot listen on '%s': %s", listen_addr, strerror(err));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        errno = err;
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct plc_web *plc_web_new(const struct plc_layout *layout, const char *base,
                            const struct plc_web_config *cfg, struct plc_diag *diag)
{
    if (!layout || !base || !cfg || !cfg->listen || !cfg->max_connections) {
        plc_diag_set(diag, NULL, "plc-web: missing layout, base directory or listen address");
        errno = EINVAL;
        return NULL;
    }
    struct plc_web *web = calloc(1, sizeof(*web));
    int fd = -1;
    if (!web || !(web->base = strdup(base)))
        goto fail;
    web->layout = layout;
    web->cfg = *cfg;
    fd = listen_on(cfg->listen, diag);
    if (fd < 0)
        goto fail;
    web->port = bound_port(fd);
    web->snap = web_snapshot_new(layout, web->base, cfg->poll_ms);
    if (!web->snap) {
        plc_diag_set(diag, NULL, "cannot start the snapshot thread: %s", strerror(errno));
        goto fail;
    }
    web->views = web_views_new(layout, web->base, web->snap, cfg->timeout_s);
    if (!web->views) {
        plc_diag_set(diag, NULL, "cannot start the events follower: %s", strerror(errno));
        goto fail;
    }
    if (web_tls_load(cfg, &web->tls, diag) < 0 ||
        !(web->op = web_operate_new(layout, web->base, cfg, web->snap, diag)))
        goto fail;
    struct MHD_OptionItem tls[] = {
        {web->tls.cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, web->tls.cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, web->tls.key},
        {MHD_OPTION_END, 0, NULL},
    };
    web->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
            (web->tls.cert ? MHD_USE_TLS : 0),
        0, NULL, NULL, handle, web, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!web->daemon) {
        if (web->tls.cert)
            plc_diag_set(diag, NULL,
                         "cannot start HTTPS on '%s' with certificate '%s' and key '%s': do "
                         "they belong together?",
                         cfg->listen, cfg->tls_cert, cfg->tls_key);
        else
            plc_diag_set(diag, NULL, "cannot start the HTTP server on '%s'", cfg->listen);
        errno = EIO;
        goto fail;
    }
    return web;
fail:;
    int err = errno;
    if (fd >= 0)
        close(fd);
    web_views_free(web ? web->views : NULL);
    if (web) {
        web_operate_free(web->op);
        web_tls_free(&web->tls);
    }
    web_snapshot_free(web ? web->snap : NULL);
    if (web)
        free(web->base);
    free(web);
    errno = err;
    return NULL;
}

uint16_t plc_web_get_port(const struct plc_web *web)
{
    return web->port;
}

void plc_web_free(struct plc_web *web)
{
    if (!web)
        return;
    /* Streams end when the snapshot says it stops; then MHD can join their threads. */
    web_snapshot_stop(web->snap);
    web_views_stop(web->views);
    MHD_stop_daemon(web->daemon);
    web_views_free(web->views);
    web_operate_free(web->op);
    web_tls_free(&web->tls);
    web_snapshot_free(web->snap);
    free(web->base);
    free(web);
}
