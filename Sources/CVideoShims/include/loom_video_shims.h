#ifndef LOOM_VIDEO_SHIMS_H
#define LOOM_VIDEO_SHIMS_H

#include <stdint.h>

/// AVERROR(EAGAIN): the decoder wants more input, or has no frame ready.
int loom_video_error_again(void);
/// AVERROR_EOF: the end of the stream.
int loom_video_error_eof(void);
/// AVERROR_INVALIDDATA: the data is damaged or not of the expected format.
int loom_video_error_invalid_data(void);
/// AVERROR_STREAM_NOT_FOUND: the file has no stream of the asked type.
int loom_video_error_stream_not_found(void);
/// AVERROR_DECODER_NOT_FOUND: FFmpeg was built without a decoder for the stream's codec.
int loom_video_error_decoder_not_found(void);
/// AV_NOPTS_VALUE: no timestamp.
int64_t loom_video_no_pts(void);

/// Routes FFmpeg's log to a callback that prints nothing and keeps, per thread, the last message at error level or
/// worse (FFmpeg's log level is set to AV_LOG_ERROR). Safe to call more than once.
void loom_video_quiet_logging(void);
/// Copies the calling thread's last kept message into `buffer` (empty when none) and forgets it.
void loom_video_take_last_log(char *buffer, int capacity);

#endif
