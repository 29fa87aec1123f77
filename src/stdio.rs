//! MCP over stdio: newline-delimited JSON-RPC, with every request answered.
//!
//! rmcp's own stdio transport drops a line longer than its limit without a word, so a
//! client that sent an oversized request waits forever for that id. This transport reads
//! lines with the same bound, and while it skips an oversized line it keeps just enough of
//! the line's top level to find its `id` — then answers it with a JSON-RPC error. Memory
//! stays bounded however long the line is. Everything else (parsing, writing, the codec)
//! is rmcp's.

use std::{collections::VecDeque, io, sync::Arc};

use futures::SinkExt;
use rmcp::{
    ErrorData, RoleServer,
    model::RequestId,
    service::{RxJsonRpcMessage, TxJsonRpcMessage},
    transport::{Transport, async_rw::JsonRpcMessageCodec},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader},
    sync::Mutex,
};
use tokio_util::codec::FramedWrite;

/// Longest JSON-RPC message read (bytes), as rmcp's own stdio transport.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

type Writer<W> = FramedWrite<W, JsonRpcMessageCodec<TxJsonRpcMessage<RoleServer>>>;

/// The server side of MCP over a reader and a writer (stdin and stdout).
pub struct StdioTransport<R: AsyncRead, W: AsyncWrite> {
    read: BufReader<R>,
    line: Vec<u8>,
    /// Set while the rest of an oversized line is skipped.
    skipping: Option<TopLevel>,
    max: usize,
    write: Arc<Mutex<Option<Writer<W>>>>,
    /// Answers this transport owes for messages it could not pass on.
    owed: VecDeque<TxJsonRpcMessage<RoleServer>>,
}

impl<R, W> StdioTransport<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    /// A transport over `read` and `write` with the standard limit.
    pub fn new(read: R, write: W) -> Self {
        Self::with_max_message_bytes(read, write, MAX_MESSAGE_BYTES)
    }

    /// A transport whose messages may be at most `max` bytes.
    pub fn with_max_message_bytes(read: R, write: W, max: usize) -> Self {
        Self {
            read: BufReader::new(read),
            line: Vec::new(),
            skipping: None,
            max,
            write: Arc::new(Mutex::new(Some(FramedWrite::new(
                write,
                JsonRpcMessageCodec::default(),
            )))),
            owed: VecDeque::new(),
        }
    }

    /// Reads the next whole line into `self.line`, or skips (and owes an answer for) an
    /// oversized one.
    async fn next_line(&mut self) -> io::Result<LineRead> {
        loop {
            let (used, done) = {
                let available = self.read.fill_buf().await?;
                if available.is_empty() {
                    return Ok(LineRead::End);
                }
                let newline = available.iter().position(|b| *b == b'\n');
                let used = newline.map_or(available.len(), |at| at + 1);
                let chunk = available.get(..used).unwrap_or_default();
                match &mut self.skipping {
                    Some(top) => top.feed(chunk),
                    None if self.line.len() + used > self.max => {
                        let mut top = TopLevel::default();
                        top.feed(&self.line);
                        top.feed(chunk);
                        self.line.clear();
                        self.skipping = Some(top);
                    }
                    None => self.line.extend_from_slice(chunk),
                }
                (used, newline.is_some())
            };
            self.read.consume(used);
            if !done {
                continue;
            }
            return Ok(match self.skipping.take() {
                Some(top) => {
                    self.too_large(top);
                    LineRead::Skipped
                }
                None => LineRead::Line,
            });
        }
    }

    /// Owes an error answer for an oversized request whose id could be read.
    fn too_large(&mut self, top: TopLevel) {
        let (id, is_request) = top.id_and_kind();
        tracing::warn!(
            max_bytes = self.max,
            answered = id.is_some() && is_request,
            "incoming message exceeded the size limit and was not processed"
        );
        if let (Some(id), true) = (id, is_request) {
            let error = ErrorData::invalid_request(
                format!(
                    "Request too large: the message exceeded {} bytes, the most this server reads; it was not processed.",
                    self.max
                ),
                Some(serde_json::json!({ "maxBytes": self.max })),
            );
            self.owed
                .push_back(TxJsonRpcMessage::<RoleServer>::error(error, Some(id)));
        }
    }
}

impl<R, W> Transport<RoleServer> for StdioTransport<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let write = Arc::clone(&self.write);
        async move {
            match write.lock().await.as_mut() {
                Some(writer) => writer.send(item).await.map_err(Into::into),
                None => Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "transport closed",
                )),
            }
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            while let Some(answer) = self.owed.pop_front() {
                let mut write = self.write.lock().await;
                if write.as_mut()?.send(answer).await.is_err() {
                    return None;
                }
            }
            match self.next_line().await {
                Ok(LineRead::Line) => {}
                // Back to the top, where what is owed for it is answered.
                Ok(LineRead::Skipped) => continue,
                Ok(LineRead::End) => return None,
                Err(e) => {
                    tracing::error!("reading stdin failed: {e}");
                    return None;
                }
            }
            let line = std::mem::take(&mut self.line);
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(text) {
                Ok(message) => return Some(message),
                Err(e) => self.unreadable(text, &e),
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        drop(self.write.lock().await.take());
        Ok(())
    }
}

impl<R: AsyncRead, W: AsyncWrite> StdioTransport<R, W> {
    /// A line that is not a message this server understands. Not JSON, but a request whose
    /// top level names an id (nested deeper than the parser goes, a number out of range):
    /// answered with a parse error, so the client does not wait on that id forever. Not
    /// JSON and no id to answer: ignored (answering garbage invites an echo storm). JSON,
    /// but not a valid message: answered as an invalid request when it is a request with an
    /// id; unknown notifications are ignored, as MCP asks.
    fn unreadable(&mut self, text: &[u8], error: &serde_json::Error) {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(text) else {
            let mut top = TopLevel::default();
            top.feed(text);
            let (id, is_request) = top.id_and_kind();
            tracing::debug!(
                answered = id.is_some() && is_request,
                "a line that is not JSON ({})",
                error.classify_name()
            );
            if let (Some(id), true) = (id, is_request) {
                self.owed.push_back(TxJsonRpcMessage::<RoleServer>::error(
                    ErrorData::parse_error(
                        "Parse error: the message is not JSON this server can read (nested too \
                         deeply, a number out of range, or malformed); it was not processed.",
                        None,
                    ),
                    Some(id),
                ));
            }
            return;
        };
        let id = value.get("id").and_then(request_id);
        let is_request = value.get("method").is_some();
        match (id, is_request) {
            (Some(id), true) => {
                tracing::debug!("answering an invalid request");
                self.owed.push_back(TxJsonRpcMessage::<RoleServer>::error(
                    ErrorData::invalid_request(format!("Invalid request: {error}"), None),
                    Some(id),
                ));
            }
            _ => tracing::debug!("ignoring a message this server does not understand"),
        }
    }
}

/// What reading one line gave.
enum LineRead {
    /// A whole line is in `line`.
    Line,
    /// An oversized line was skipped.
    Skipped,
    /// The input ended.
    End,
}

/// A name for serde's error category, for a log line that must not quote the input.
trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        }
    }
}

fn request_id(value: &serde_json::Value) -> Option<RequestId> {
    match value {
        serde_json::Value::Number(n) => n.as_i64().map(RequestId::Number),
        serde_json::Value::String(s) if s.len() <= 256 => {
            Some(RequestId::String(s.as_str().into()))
        }
        _ => None,
    }
}

/// Most bytes of a skipped line's top level kept: enough for `jsonrpc`, `id` and `method`.
const MAX_TOP_LEVEL_BYTES: usize = 64 * 1024;
/// Longest string kept whole at the top level; a longer one is kept as `""`.
const MAX_TOP_LEVEL_STRING: usize = 512;

/// The top level of a JSON object read a chunk at a time, with every nested value replaced
/// by `null` and long strings by `""`: what is left (`{"jsonrpc":"2.0","id":7,"method":…,
/// "params":null}`) is small valid JSON that names the message's id and kind.
#[derive(Debug, Default)]
struct TopLevel {
    kept: Vec<u8>,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Start in `kept` of the top-level string being read.
    string_start: Option<usize>,
    overflow: bool,
}

impl TopLevel {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_string {
                // Only the start of a top-level string is kept; a long one becomes "".
                let short = self
                    .string_start
                    .is_some_and(|start| self.kept.len() - start <= MAX_TOP_LEVEL_STRING);
                if self.depth == 1 && short {
                    self.keep(b);
                }
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    self.end_string();
                }
                continue;
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 {
                        self.string_start = Some(self.kept.len());
                        self.keep(b);
                    }
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    match self.depth {
                        1 if b == b'{' => self.keep(b),
                        // A nested value can never be an id: null stands in for it.
                        2 => b"null".iter().for_each(|&n| self.keep(n)),
                        _ => {}
                    }
                }
                b'}' | b']' => {
                    if self.depth == 1 {
                        self.keep(b);
                    }
                    self.depth = self.depth.saturating_sub(1);
                }
                b'\n' | b'\r' => {}
                _ if self.depth == 1 => self.keep(b),
                _ => {}
            }
        }
    }

    fn keep(&mut self, b: u8) {
        if self.kept.len() < MAX_TOP_LEVEL_BYTES {
            self.kept.push(b);
        } else {
            self.overflow = true;
        }
    }

    /// A top-level string just ended: a long one is replaced by `""`.
    fn end_string(&mut self) {
        if self.depth != 1 {
            return;
        }
        if let Some(start) = self.string_start.take()
            && (self.kept.len().saturating_sub(start) > MAX_TOP_LEVEL_STRING
                || self.kept.last() != Some(&b'"'))
        {
            self.kept.truncate(start);
            self.kept.extend_from_slice(b"\"\"");
        }
    }

    /// The message's id, and whether it is a request (has a method).
    fn id_and_kind(&self) -> (Option<RequestId>, bool) {
        if self.overflow {
            return (None, false);
        }
        match serde_json::from_slice::<serde_json::Value>(&self.kept) {
            Ok(value) => (
                value.get("id").and_then(request_id),
                value.get("method").is_some(),
            ),
            Err(_) => (None, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(text: &str, chunk: usize) -> TopLevel {
        let mut t = TopLevel::default();
        for piece in text.as_bytes().chunks(chunk) {
            t.feed(piece);
        }
        t
    }

    #[test]
    fn finds_the_top_level_id_however_the_line_is_cut() {
        let big = "x".repeat(100_000);
        let line = format!(
            r#"{{"jsonrpc":"2.0","params":{{"id":99,"arguments":{{"a":["{big}",{{"id":1}}]}}}},"id":7,"method":"tools/call"}}"#
        );
        for chunk in [1, 7, 4096, line.len()] {
            let (id, is_request) = top(&line, chunk).id_and_kind();
            assert_eq!(id, Some(RequestId::Number(7)), "chunk {chunk}");
            assert!(is_request);
        }
        let (id, _) = top(r#"{"id":"a\"b","method":"x","blob":"long"}"#, 3).id_and_kind();
        assert_eq!(id, Some(RequestId::String("a\"b".into())));
        let huge = format!(
            r#"{{"method":"x","blob":"{}","id":8}}"#,
            "y".repeat(200_000)
        );
        assert_eq!(top(&huge, 4096).id_and_kind().0, Some(RequestId::Number(8)));
    }

    #[test]
    fn no_id_means_no_answer() {
        for text in [
            r#"{"jsonrpc":"2.0","method":"notifications/x","params":{"id":3}}"#,
            r#"[{"id":1,"method":"x"}]"#,
            r#"{"id":{"nested":1},"method":"x"}"#,
            "not json at all",
        ] {
            assert_eq!(top(text, 5).id_and_kind().0, None, "{text}");
        }
    }
}
