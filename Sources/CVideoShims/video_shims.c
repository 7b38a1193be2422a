#include "loom_video_shims.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/log.h>

int loom_video_error_again(void) { return AVERROR(EAGAIN); }
int loom_video_error_eof(void) { return AVERROR_EOF; }
int loom_video_error_invalid_data(void) { return AVERROR_INVALIDDATA; }
int loom_video_error_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
int loom_video_error_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
int64_t loom_video_no_pts(void) { return AV_NOPTS_VALUE; }

enum { LAST_LOG_CAPACITY = 512 };
static _Thread_local char last_log[LAST_LOG_CAPACITY];

static void keep_errors(void *context, int level, const char *format, va_list arguments) {
    (void)context;
    if (level > AV_LOG_ERROR) return;
    vsnprintf(last_log, LAST_LOG_CAPACITY, format, arguments);
}

void loom_video_quiet_logging(void) {
    av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(keep_errors);
}

void loom_video_take_last_log(char *buffer, int capacity) {
    if (capacity <= 0) return;
    snprintf(buffer, (size_t)capacity, "%s", last_log);
    last_log[0] = '\0';
}
