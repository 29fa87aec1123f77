//! Where a call goes: the host a call names (or the default), checked against the
//! environment guard. Reads and writes both start here; the credentials that go with the
//! host are the client's to pick, never the caller's.

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
        Ok(host)
    }
}
