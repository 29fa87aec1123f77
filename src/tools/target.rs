//! Where a call goes: the host a call names (or the default), checked against the
//! environment guard and against the credentials configured for it. Reads and writes both
//! start here; which credentials go with the host is configuration's to say, never the
//! caller's — a host without any is refused before anything is sent.

use super::{call::ToolCall, errors::ToolError};
use crate::{host::ApiHost, server::KlarnaServer};

impl KlarnaServer {
    /// The host of a call: `apiHost` if given and allowed, else the default.
    pub(crate) fn resolve_host(
        &self,
        call: &mut ToolCall,
        requested: Option<&str>,
    ) -> Result<ApiHost, ToolError> {
        let host = self.config().hosts.resolve(requested)?;
        call.host = Some(host);
        self.config()
            .client
            .credentials
            .for_host(host)
            .map_err(|missing| ToolError::Refused(format!("Not done: {missing}.")))?;
        Ok(host)
    }
}
