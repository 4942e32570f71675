//! CloudWatch Logs reads for training jobs' logs: stream listings by prefix and forward
//! pages of one stream, as SageMaker's own `logs_for_job` reads them.

use super::answers::cloud_error;
use super::AwsCloud;
use crate::cloud::{CloudError, LogCursor, LogEvent, LogPage};

impl AwsCloud {
    pub(super) fn read_log_streams(
        &self,
        group: &str,
        prefix: &str,
    ) -> Result<Vec<String>, CloudError> {
        let logs = self.logs_client()?;
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let r = self.block_on(
                logs.describe_log_streams()
                    .log_group_name(group)
                    .log_stream_name_prefix(prefix)
                    .set_next_token(token.take())
                    .send(),
            );
            let out = match r {
                Ok(out) => out,
                // No group yet: the job has not written a line.
                Err(e) => match cloud_error("DescribeLogStreams", group, &e) {
                    CloudError::NotFound { .. } => return Ok(names),
                    other => return Err(other),
                },
            };
            names.extend(
                out.log_streams()
                    .iter()
                    .filter_map(|s| s.log_stream_name().map(str::to_string)),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(names),
            }
        }
    }

    pub(super) fn read_log_events(
        &self,
        group: &str,
        stream: &str,
        from: &LogCursor,
    ) -> Result<LogPage, CloudError> {
        let logs = self.logs_client()?;
        let mut request = logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true);
        request = request
            .set_start_time(from.since_ms)
            .set_next_token(from.token.clone());
        let out = self
            .block_on(request.send())
            .map_err(|e| cloud_error("GetLogEvents", stream, &e))?;
        Ok(LogPage {
            events: out
                .events()
                .iter()
                .map(|e| LogEvent {
                    timestamp_ms: e.timestamp().unwrap_or(0),
                    message: e.message().unwrap_or_default().trim_end().to_string(),
                })
                .collect(),
            next: out.next_forward_token().map(str::to_string),
        })
    }
}
