//! The discovery documents (RFC 7644 §4, RFC 7643 §5-7): ServiceProviderConfig, ResourceTypes and
//! Schemas. They announce exactly what scim-seat implements: PATCH, filters with a result cap, sort
//! and ETags yes; bulk and password changes no; the schemas are generated from [`super::schema`], the
//! same table that validates requests. This module only renders; routing and auth are elsewhere.

use super::schema::{self, SchemaDef};
use super::{
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, RESOURCE_TYPE_SCHEMA, SEAT_USER_SCHEMA,
    SERVICE_PROVIDER_CONFIG_SCHEMA, USER_SCHEMA, list_response,
};
use serde_json::{Value, json};

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// `/ServiceProviderConfig`. `max_results` is the cap on one page of a list or filter;
/// `max_payload` the largest request body accepted, in bytes.
pub fn service_provider_config(base_url: &str, max_results: usize, max_payload: usize) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": max_payload },
        "filter": { "supported": true, "maxResults": max_results },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "An opaque bearer token of scope scim, issued by the scim-seat administrator \
                            (scim-seat token create --scope scim), sent as 'Authorization: Bearer <token>'.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(base_url)),
        },
    })
}

struct ResourceTypeDef {
    name: &'static str,
    endpoint: &'static str,
    description: &'static str,
    schema: &'static str,
    extensions: &'static [&'static str],
}

const RESOURCE_TYPES: [ResourceTypeDef; 2] = [
    ResourceTypeDef {
        name: "User",
        endpoint: "/Users",
        description: "User Account",
        schema: USER_SCHEMA,
        extensions: &[ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA],
    },
    ResourceTypeDef {
        name: "Group",
        endpoint: "/Groups",
        description: "Group",
        schema: GROUP_SCHEMA,
        extensions: &[],
    },
];

fn resource_type_json(base_url: &str, rt: &ResourceTypeDef) -> Value {
    let mut v = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rt.name,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", base(base_url), rt.name),
        },
    });
    if !rt.extensions.is_empty() {
        let exts: Vec<Value> =
            rt.extensions.iter().map(|s| json!({ "schema": s, "required": false })).collect();
        v["schemaExtensions"] = Value::Array(exts);
    }
    v
}

/// `/ResourceTypes`: a ListResponse of User (with the enterprise and seat extensions) and Group.
pub fn resource_types(base_url: &str) -> Vec<u8> {
    let all: Vec<Value> = RESOURCE_TYPES.iter().map(|rt| resource_type_json(base_url, rt)).collect();
    list_response(&all, all.len(), 1)
}

/// `/ResourceTypes/{name}`, the name compared case-insensitively.
pub fn resource_type(base_url: &str, name: &str) -> Option<Value> {
    RESOURCE_TYPES
        .iter()
        .find(|rt| rt.name.eq_ignore_ascii_case(name))
        .map(|rt| resource_type_json(base_url, rt))
}

fn schema_json(base_url: &str, s: &SchemaDef) -> Value {
    let mut v = s.to_json();
    v["meta"] = json!({
        "resourceType": "Schema",
        "location": format!("{}/Schemas/{}", base(base_url), s.id),
    });
    v
}

/// `/Schemas`: a ListResponse of the User, Enterprise User, seat and Group schemas.
pub fn schemas(base_url: &str) -> Vec<u8> {
    let all: Vec<Value> = schema::all().iter().map(|s| schema_json(base_url, s)).collect();
    list_response(&all, all.len(), 1)
}

/// `/Schemas/{urn}`, the URN compared case-insensitively.
pub fn schema(base_url: &str, urn: &str) -> Option<Value> {
    schema::by_urn(urn).map(|s| schema_json(base_url, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::LIST_RESPONSE;

    const BASE: &str = "https://scim.example/v2";

    #[test]
    fn service_provider_config_is_truthful() {
        let c = service_provider_config(BASE, 1000, 1 << 20);
        assert_eq!(c["schemas"], json!([SERVICE_PROVIDER_CONFIG_SCHEMA]));
        assert_eq!(c["patch"]["supported"], true);
        assert_eq!(c["bulk"]["supported"], false);
        assert_eq!(c["bulk"]["maxPayloadSize"], 1 << 20);
        assert_eq!(c["filter"], json!({"supported": true, "maxResults": 1000}));
        assert_eq!(c["changePassword"]["supported"], false);
        assert_eq!(c["sort"]["supported"], true);
        assert_eq!(c["etag"]["supported"], true);
        assert_eq!(c["authenticationSchemes"][0]["type"], "oauthbearertoken");
        assert_eq!(c["authenticationSchemes"][0]["primary"], true);
        assert_eq!(c["meta"]["location"], "https://scim.example/v2/ServiceProviderConfig");
        // A trailing slash on the base does not double.
        let c = service_provider_config("https://scim.example/v2/", 10, 10);
        assert_eq!(c["meta"]["location"], "https://scim.example/v2/ServiceProviderConfig");
    }

    #[test]
    fn resource_types_list_user_and_group() {
        let l: Value = serde_json::from_slice(&resource_types(BASE)).unwrap();
        assert_eq!(l["schemas"], json!([LIST_RESPONSE]));
        assert_eq!(l["totalResults"], 2);
        assert_eq!(l["itemsPerPage"], 2);
        let user = &l["Resources"][0];
        assert_eq!(user["endpoint"], "/Users");
        assert_eq!(user["schema"], USER_SCHEMA);
        assert_eq!(
            user["schemaExtensions"],
            json!([{"schema": ENTERPRISE_USER_SCHEMA, "required": false}, {"schema": SEAT_USER_SCHEMA, "required": false}])
        );
        assert_eq!(user["meta"]["location"], "https://scim.example/v2/ResourceTypes/User");
        let group = &l["Resources"][1];
        assert_eq!(group["endpoint"], "/Groups");
        assert!(group.get("schemaExtensions").is_none());
        assert_eq!(resource_type(BASE, "user"), Some(user.clone()));
        assert_eq!(resource_type(BASE, "GROUP"), Some(group.clone()));
        assert_eq!(resource_type(BASE, "Device"), None);
    }

    #[test]
    fn schemas_are_generated_from_the_table() {
        let l: Value = serde_json::from_slice(&schemas(BASE)).unwrap();
        assert_eq!(l["totalResults"], 4);
        let ids: Vec<&str> =
            l["Resources"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA, GROUP_SCHEMA]);
        for s in l["Resources"].as_array().unwrap() {
            assert_eq!(s["meta"]["resourceType"], "Schema");
            assert_eq!(s["meta"]["location"], format!("{BASE}/Schemas/{}", s["id"].as_str().unwrap()));
            assert!(!s["attributes"].as_array().unwrap().is_empty());
        }
        let user = schema(BASE, &USER_SCHEMA.to_uppercase()).unwrap();
        let names: Vec<&str> =
            user["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
        for n in [
            "userName",
            "name",
            "displayName",
            "active",
            "emails",
            "phoneNumbers",
            "addresses",
            "roles",
            "groups",
        ] {
            assert!(names.contains(&n), "{n}");
        }
        let seat = schema(BASE, SEAT_USER_SCHEMA).unwrap();
        assert!(seat["attributes"].as_array().unwrap().iter().all(|a| a["mutability"] == "readOnly"));
        let ent = schema(BASE, ENTERPRISE_USER_SCHEMA).unwrap();
        let manager = ent["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "manager").unwrap();
        assert_eq!(manager["type"], "complex");
        assert_eq!(manager["subAttributes"][0]["name"], "value");
        assert_eq!(schema(BASE, "urn:nope"), None);
    }
}
