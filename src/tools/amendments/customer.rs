//! The customer's shipping address: `update_customer_details`.
//!
//! The address is personal data. It goes to Klarna and nowhere else: the argument types have
//! no `Debug` that shows it, the question put to the human and every log name only the
//! fields changed, the journal keeps no digest of the body, and the result shows the values
//! only with `KLARNA_INCLUDE_PERSONAL_DATA=true`. An error about a field names the field and
//! its limit, never its value.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#operation/updateConsumerDetails>

use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    klarna::{
        CallError, json_body,
        types::{Address, CustomerDetailsRequest},
    },
    server::KlarnaServer,
    tools::{
        args::{self, Validate, api_host_schema, change_key_schema, uuid_schema},
        call::{Success, ToolCall},
        confirm::Asker,
        errors::ToolError,
        input_schema,
        output::quoted,
        output_schema,
        receipts::{After, ChangeFacts},
        write::{WriteBody, WriteRequest, kind},
    },
};

/// Arguments of `update_customer_details`.
// Personal data: deliberately without `Debug`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCustomerParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// The shipping address fields to change. A field given is set; "" clears an optional one; a field left out stays as it is. The billing address cannot be changed.
    pub shipping_address: AddressArg,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "change_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

/// The shipping address fields to change; each is optional.
// Personal data: deliberately without `Debug`.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressArg {
    /// Given name (at most 100 characters; cannot be cleared).
    #[serde(default)]
    #[schemars(with = "String")]
    pub given_name: Option<String>,
    /// Family name (at most 100 characters; cannot be cleared).
    #[serde(default)]
    #[schemars(with = "String")]
    pub family_name: Option<String>,
    /// Title, e.g. "Mr" or "Ms" (at most 20 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub title: Option<String>,
    /// First street line, e.g. "Sveavägen 46" (at most 100 characters; cannot be cleared).
    #[serde(default)]
    #[schemars(with = "String")]
    pub street_address: Option<String>,
    /// Second street line, e.g. "Apartment 10" (at most 100 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub street_address2: Option<String>,
    /// Postal code (at most 10 characters; cannot be cleared).
    #[serde(default)]
    #[schemars(with = "String")]
    pub postal_code: Option<String>,
    /// City (at most 200 characters; cannot be cleared).
    #[serde(default)]
    #[schemars(with = "String")]
    pub city: Option<String>,
    /// State or region, e.g. "TN" (at most 200 characters; required for US addresses).
    #[serde(default)]
    #[schemars(with = "String")]
    pub region: Option<String>,
    /// Country, ISO 3166-1 alpha-2 (e.g. "SE"). Klarna declines a country other than the purchase country. Cannot be cleared.
    #[serde(default)]
    #[schemars(with = "String")]
    pub country: Option<String>,
    /// E-mail address (at most 100 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub email: Option<String>,
    /// Phone number (at most 100 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub phone: Option<String>,
    /// "Attn." line (at most 255 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub attention: Option<String>,
    /// Organization name, for business customers (at most 255 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub organization_name: Option<String>,
}

/// The fields Klarna requires of an address, which "" may not clear.
const MANDATORY: &[&str] = &[
    "givenName",
    "familyName",
    "streetAddress",
    "postalCode",
    "city",
    "country",
];

impl AddressArg {
    /// Each field with its argument name and Klarna's limit.
    fn fields(&self) -> [(&'static str, &Option<String>, usize); 13] {
        [
            ("givenName", &self.given_name, 100),
            ("familyName", &self.family_name, 100),
            ("title", &self.title, 20),
            ("streetAddress", &self.street_address, 100),
            ("streetAddress2", &self.street_address2, 100),
            ("postalCode", &self.postal_code, 10),
            ("city", &self.city, 200),
            ("region", &self.region, 200),
            ("country", &self.country, 2),
            ("email", &self.email, 100),
            ("phone", &self.phone, 100),
            ("attention", &self.attention, 255),
            ("organizationName", &self.organization_name, 255),
        ]
    }

    fn to_wire(&self) -> Address {
        Address {
            attention: self.attention.clone(),
            city: self.city.clone(),
            country: self.country.as_ref().map(|c| c.to_ascii_uppercase()),
            email: self.email.clone(),
            family_name: self.family_name.clone(),
            given_name: self.given_name.clone(),
            organization_name: self.organization_name.clone(),
            phone: self.phone.clone(),
            postal_code: self.postal_code.clone(),
            region: self.region.clone(),
            street_address: self.street_address.clone(),
            street_address2: self.street_address2.clone(),
            title: self.title.clone(),
        }
    }
}

impl Validate for UpdateCustomerParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        let fields = self.shipping_address.fields();
        if fields.iter().all(|(_, value, _)| value.is_none()) {
            return Err(ToolError::invalid(
                "shippingAddress",
                "names no field, so nothing would change",
                "pass the address fields to change, e.g. {\"streetAddress\": \"…\", \"postalCode\": \"…\", \"city\": \"…\"}",
            ));
        }
        for (name, value, max) in fields {
            let field = format!("shippingAddress.{name}");
            // Only lengths and positions are said: the value is personal data.
            args::check_text(&field, value.as_deref(), max)?;
            if value.as_deref() == Some("") && MANDATORY.contains(&name) {
                return Err(ToolError::invalid(
                    field,
                    "is empty, but Klarna requires it",
                    "give the new value, or leave the field out to keep it",
                ));
            }
        }
        if let Some(country) = &self.shipping_address.country
            && !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(ToolError::invalid(
                "shippingAddress.country",
                "is not a two-letter country code",
                "use the ISO 3166-1 alpha-2 code, e.g. SE, DE, US",
            ));
        }
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

/// The new address.
struct CustomerBody(Address);

impl WriteBody for CustomerBody {
    fn json(&self, _: i64) -> Result<Option<Vec<u8>>, CallError> {
        json_body(&CustomerDetailsRequest {
            shipping_address: self.0.clone(),
        })
        .map(Some)
    }

    /// The names of the fields changed, never their values.
    fn detail(&self) -> Option<String> {
        Some(format!(
            "fields {} (values not shown: personal data)",
            self.0.fields_set().join(", ")
        ))
    }
}

/// Result of `update_customer_details`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CustomerReceipt {
    /// Common facts.
    #[serde(flatten)]
    pub change: ChangeFacts,
    /// The shipping address fields changed (Klarna's names).
    pub fields_changed: Vec<String>,
    /// The values sent — personal data, present only when the server is configured to show
    /// it (KLARNA_INCLUDE_PERSONAL_DATA).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "object_schema")]
    pub shipping_address: Option<serde_json::Value>,
    /// The order afterwards.
    #[serde(flatten)]
    pub after: After,
}

fn object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "object" })
}

#[tool_router(router = customer_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "update_customer_details",
        title = "Change Klarna shipping address",
        description = "Change the shipping address of a Klarna order before it ships (the customer moved, or gave a wrong address). Moves no money and costs nothing, but it is a new risk decision by Klarna, which may decline it (an address in another country than the purchase country is declined). Overwrites the fields given; \"\" clears an optional one. The billing address cannot be changed. Klarna refuses cancelled, expired and closed orders. The address is personal data: the result names the fields changed and shows the values only when the server is configured to include personal data. Returns the idempotency key and the order afterwards.",
        input_schema = input_schema::<UpdateCustomerParams>(),
        output_schema = output_schema::<CustomerReceipt>(),
        annotations(title = "Change Klarna shipping address", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn update_customer_details(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "update_customer_details",
            &context,
            responses,
            state,
            async |call, asker| self.update_customer_inner(call, arguments, asker).await,
        )
        .await
    }
}

impl KlarnaServer {
    async fn update_customer_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: UpdateCustomerParams = args::parse(arguments)?;
        p.validate()?;
        let address = p.shipping_address.to_wire();
        let fields: Vec<String> = address
            .fields_set()
            .into_iter()
            .map(str::to_string)
            .collect();
        let shown = self.config().include_personal_data;
        let sent = shown.then(|| serde_json::to_value(&address).ok()).flatten();
        let request = WriteRequest::change(
            &kind::UPDATE_CUSTOMER,
            p.order_id,
            None,
            p.api_host,
            p.idempotency_key,
            Box::new(CustomerBody(address)),
        );
        let written = self.write(call, request, asker).await?;
        let f = &written.facts;
        let values = match sent.as_ref().and_then(serde_json::Value::as_object) {
            Some(map) => map
                .iter()
                .map(|(k, v)| format!("{k} {}", quoted(v.as_str().unwrap_or_default())))
                .collect::<Vec<_>>()
                .join(", "),
            None => format!(
                "{} (the new values are personal data, not shown: KLARNA_INCLUDE_PERSONAL_DATA is off)",
                fields.join(", ")
            ),
        };
        let done = format!(
            "Updated the shipping address of order {} at {}: {values}",
            f.order_id, f.api_host
        );
        let receipt = CustomerReceipt {
            change: ChangeFacts::of(&written, None),
            fields_changed: fields,
            shipping_address: sent,
            after: written.after.clone(),
        };
        let text = receipt.change.text(&done, &receipt.after);
        Success::new(&receipt, text)
    }
}
