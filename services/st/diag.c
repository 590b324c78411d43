/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics: `file:line:col: error[Pnnnn]: message`, the source line and a
 * caret under the column, rendered here and nowhere else.
 */
#include <string.h>

#include "ast.h"

void st_ctx_init(struct st_ctx *ctx, FILE *diag)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->diag = diag;
}

void st_ctx_free(struct st_ctx *ctx)
{
    st_arena_free(&ctx->arena);
}

const char *st_source_line(const struct st_ctx *ctx, uint32_t file, uint32_t line, size_t *len)
{
    *len = 0;
    if (file >= ctx->source_count || line == 0)
        return NULL;
    const struct st_source *s = &ctx->sources[file];
    const char *p = s->text, *end = s->text + s->len;
    for (uint32_t l = 1; l < line && p < end; p++)
        if (*p == '\n')
            l++;
    if (p > end)
        return NULL;
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    *len = (size_t)(e - p);
    return p;
}

static void render(struct st_ctx *ctx, bool warning, const struct st_loc *loc, int code,
                   const char *fmt, va_list ap)
{
    if (warning)
        ctx->warnings++;
    else
        ctx->errors++;
    if (!ctx->diag || ctx->muted)
        return;
    if (ctx->errors > ST_MAX_ERRORS) {
        fprintf(ctx->diag, "plc-st: too many errors, stopping here\n");
        ctx->muted = true;
        return;
    }
    const char *what = warning ? "warning" : "error";
    if (loc && loc->file < ctx->source_count)
        fprintf(ctx->diag, "%s:%u:%u: %s[P%04d]: ", ctx->sources[loc->file].name, loc->line,
                loc->col, what, code);
    else
        fprintf(ctx->diag, "plc-st: %s[P%04d]: ", what, code);
    vfprintf(ctx->diag, fmt, ap);
    fputc('\n', ctx->diag);
    if (!loc)
        return;
    size_t len;
    const char *line = st_source_line(ctx, loc->file, loc->line, &len);
    if (!line)
        return;
    fprintf(ctx->diag, "%5u | %.*s\n      | ", loc->line, (int)len, line);
    /* Tabs stay tabs so the caret lands under the column in a terminal. */
    for (uint32_t c = 1; c < loc->col && c - 1 < len; c++)
        fputc(line[c - 1] == '\t' ? '\t' : ' ', ctx->diag);
    fputs("^\n", ctx->diag);
}

void st_error(struct st_ctx *ctx, struct st_loc loc, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    render(ctx, false, &loc, code, fmt, ap);
    va_end(ap);
}

void st_warning(struct st_ctx *ctx, struct st_loc loc, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    render(ctx, true, &loc, code, fmt, ap);
    va_end(ap);
}

void st_error_plain(struct st_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    render(ctx, false, NULL, code, fmt, ap);
    va_end(ap);
}
