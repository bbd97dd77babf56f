//! The attribute definitions of every schema scim-seat serves, as static data (RFC 7643 §2.2, §7).
//!
//! One table serves everything: canonical names for keys sent in any case (`UserName` → `userName`),
//! type checks when bodies are canonicalised, mutability checks in PATCH, projection and sort rules,
//! and the `/Schemas` documents, so what is announced is what is enforced. This module owns the
//! definitions and name resolution; it does not touch resource values (see `resource` and `patch`).
//!
//! The common attributes `id`, `externalId` and `meta` (RFC 7643 §3.1) belong to no schema; they are
//! in [`COMMON`] for lookups and, as in RFC 7643 §8.7, are not listed in the `/Schemas` documents.

use super::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, SEAT_USER_SCHEMA, USER_SCHEMA};
use serde_json::{Map, Value, json};

/// The data types scim-seat uses (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Complex,
    Reference,
    DateTime,
    Integer,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Complex => "complex",
            AttrType::Reference => "reference",
            AttrType::DateTime => "dateTime",
            AttrType::Integer => "integer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition (RFC 7643 §7). Sub-attributes have no sub-attributes of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrDef {
    pub name: &'static str,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub description: &'static str,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [AttrDef],
}

/// One schema: its URN, name and attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttrDef],
}

const BASE: AttrDef = AttrDef {
    name: "",
    kind: AttrType::String,
    multi_valued: false,
    required: false,
    case_exact: false,
    mutability: Mutability::ReadWrite,
    returned: Returned::Default,
    uniqueness: Uniqueness::None,
    description: "",
    canonical_values: &[],
    reference_types: &[],
    sub_attributes: &[],
};

const fn string(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef { name, description, ..BASE }
}

const fn boolean(name: &'static str, description: &'static str) -> AttrDef {
    AttrDef { name, description, kind: AttrType::Boolean, ..BASE }
}

const fn read_only(def: AttrDef) -> AttrDef {
    AttrDef { mutability: Mutability::ReadOnly, ..def }
}

const fn exact(def: AttrDef) -> AttrDef {
    AttrDef { case_exact: true, ..def }
}

const fn typed(def: AttrDef, canonical_values: &'static [&'static str]) -> AttrDef {
    AttrDef { canonical_values, ..def }
}

const fn complex(name: &'static str, description: &'static str, subs: &'static [AttrDef]) -> AttrDef {
    AttrDef { name, description, kind: AttrType::Complex, sub_attributes: subs, ..BASE }
}

const fn multi(def: AttrDef) -> AttrDef {
    AttrDef { multi_valued: true, ..def }
}

const PRIMARY: AttrDef =
    boolean("primary", "Whether this is the primary value of the attribute; at most one value is primary.");
const DISPLAY: AttrDef = string("display", "A human-readable name, primarily used for display purposes.");

// ---- common attributes (RFC 7643 §3.1) ----

const META_SUBS: [AttrDef; 5] = [
    // RFC 7643 §3.1 calls resourceType caseExact, but filters have always matched it in any case
    // (`meta.resourceType eq "user"`), and clients may rely on that. Sorting cannot tell the
    // difference (one listing holds one resource type), and common attributes are not announced.
    read_only(string("resourceType", "The name of the resource type of the resource.")),
    read_only(AttrDef {
        kind: AttrType::DateTime,
        ..string("created", "The time the resource was added to the service provider.")
    }),
    read_only(AttrDef {
        kind: AttrType::DateTime,
        ..string("lastModified", "The time the resource was last modified.")
    }),
    read_only(AttrDef {
        kind: AttrType::Reference,
        reference_types: &["uri"],
        ..exact(string("location", "The URI of the resource."))
    }),
    read_only(exact(string("version", "The weak entity tag of the resource, as in the ETag header."))),
];

/// `id`, `externalId` and `meta`: common to every resource, part of no schema.
pub static COMMON: [AttrDef; 3] = [
    AttrDef {
        returned: Returned::Always,
        uniqueness: Uniqueness::Server,
        ..read_only(exact(string("id", "Identifier of the resource, assigned by the service provider.")))
    },
    exact(string("externalId", "Identifier of the resource as defined by the provisioning client.")),
    read_only(complex("meta", "Resource metadata maintained by the service provider.", &META_SUBS)),
];

// ---- User (RFC 7643 §4.1) ----

const NAME_SUBS: [AttrDef; 6] = [
    string("formatted", "The full name, formatted for display."),
    string("familyName", "The family name (last name)."),
    string("givenName", "The given name (first name)."),
    string("middleName", "The middle name(s)."),
    string("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'."),
    string("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
];

const EMAIL_SUBS: [AttrDef; 4] = [
    string("value", "The email address, canonicalised per RFC 5321."),
    DISPLAY,
    typed(string("type", "The kind of address: work, home, other."), &["work", "home", "other"]),
    PRIMARY,
];

const PHONE_SUBS: [AttrDef; 4] = [
    string("value", "The phone number, e.g. in RFC 3966 form 'tel:+1-201-555-0123'."),
    DISPLAY,
    typed(
        string("type", "The kind of number: work, home, mobile, fax, pager, other."),
        &["work", "home", "mobile", "fax", "pager", "other"],
    ),
    PRIMARY,
];

const IMS_SUBS: [AttrDef; 4] = [
    string("value", "The instant messaging address."),
    DISPLAY,
    typed(
        string("type", "The kind of instant messaging service."),
        &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
    ),
    PRIMARY,
];

const PHOTO_SUBS: [AttrDef; 4] = [
    AttrDef {
        kind: AttrType::Reference,
        reference_types: &["external"],
        ..string("value", "The URL of an image of the user.")
    },
    DISPLAY,
    typed(string("type", "The kind of image: photo, thumbnail."), &["photo", "thumbnail"]),
    PRIMARY,
];

const ADDRESS_SUBS: [AttrDef; 8] = [
    string("formatted", "The full mailing address, formatted for display or use with a mailing label."),
    string("streetAddress", "The full street address component."),
    string("locality", "The city or locality."),
    string("region", "The state or region."),
    string("postalCode", "The zip code or postal code."),
    string("country", "The country name component, ISO 3166-1 alpha-2 recommended."),
    typed(string("type", "The kind of address: work, home, other."), &["work", "home", "other"]),
    PRIMARY,
];

const USER_GROUP_SUBS: [AttrDef; 4] = [
    read_only(exact(string("value", "The id of the group."))),
    read_only(AttrDef {
        kind: AttrType::Reference,
        reference_types: &["Group"],
        ..exact(string("$ref", "The URI of the group."))
    }),
    read_only(string("display", "The displayName of the group.")),
    read_only(typed(
        string("type", "How the user is a member: direct (scim-seat has no nested groups)."),
        &["direct", "indirect"],
    )),
];

const ENTITLEMENT_SUBS: [AttrDef; 4] = [
    string("value", "The value of an entitlement."),
    DISPLAY,
    string("type", "The kind of entitlement."),
    PRIMARY,
];

const ROLE_SUBS: [AttrDef; 4] = [
    string("value", "The value of a role, e.g. LICENSED_USER; also the JSON text Entra sends for app roles."),
    DISPLAY,
    string("type", "The kind of role, e.g. WindowsAzureActiveDirectoryRole, or the role value (Okta)."),
    PRIMARY,
];

static USER_ATTRS: [AttrDef; 20] = [
    AttrDef {
        required: true,
        uniqueness: Uniqueness::Server,
        ..string("userName", "Unique identifier of the user, compared case-insensitively. Required.")
    },
    complex("name", "The components of the user's name.", &NAME_SUBS),
    string("displayName", "The name of the user, suitable for display."),
    string("nickName", "The casual way to address the user."),
    AttrDef {
        kind: AttrType::Reference,
        reference_types: &["external"],
        ..string("profileUrl", "A URI of the user's online profile.")
    },
    string("title", "The user's title, e.g. 'Vice President'."),
    string("userType", "The relationship between the organisation and the user, e.g. 'Employee'."),
    string("preferredLanguage", "The user's preferred written or spoken language, e.g. 'en-US'."),
    string("locale", "The user's default location for localisation, e.g. 'en-US'."),
    string("timezone", "The user's time zone in IANA form, e.g. 'America/Los_Angeles'."),
    boolean("active", "Whether the user is active; false deactivates the user and frees the seat."),
    AttrDef {
        mutability: Mutability::WriteOnly,
        returned: Returned::Never,
        ..string("password", "Accepted and discarded: scim-seat never stores or returns passwords.")
    },
    multi(complex("emails", "Email addresses of the user.", &EMAIL_SUBS)),
    multi(complex("phoneNumbers", "Phone numbers of the user.", &PHONE_SUBS)),
    multi(complex("ims", "Instant messaging addresses of the user.", &IMS_SUBS)),
    multi(complex("photos", "URLs of photos of the user.", &PHOTO_SUBS)),
    multi(complex("addresses", "Physical mailing addresses of the user.", &ADDRESS_SUBS)),
    read_only(multi(complex(
        "groups",
        "The groups the user belongs to, from group memberships; change them through /Groups.",
        &USER_GROUP_SUBS,
    ))),
    multi(complex("entitlements", "Entitlements of the user.", &ENTITLEMENT_SUBS)),
    multi(complex(
        "roles",
        "Roles of the user; their values decide the seat type under Directory Integration.",
        &ROLE_SUBS,
    )),
];

pub static USER: SchemaDef =
    SchemaDef { id: USER_SCHEMA, name: "User", description: "User Account", attributes: &USER_ATTRS };

// ---- Enterprise User (RFC 7643 §4.3) ----

const MANAGER_SUBS: [AttrDef; 3] = [
    exact(string("value", "The id of the user's manager.")),
    AttrDef {
        kind: AttrType::Reference,
        reference_types: &["User"],
        ..exact(string("$ref", "The URI of the manager's User resource (derived from value when returned)."))
    },
    string("displayName", "The displayName of the manager, kept as the client sent it."),
];

static ENTERPRISE_ATTRS: [AttrDef; 6] = [
    string("employeeNumber", "A number or text identifying the user within the organisation."),
    string("costCenter", "The name of a cost center."),
    string("organization", "The name of an organisation."),
    string("division", "The name of a division."),
    string("department", "The name of a department."),
    complex(
        "manager",
        "The user's manager; accepted as an id string, an object or a one-element list.",
        &MANAGER_SUBS,
    ),
];

pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &ENTERPRISE_ATTRS,
};

// ---- scim-seat seat extension (read-only) ----

static SEAT_ATTRS: [AttrDef; 5] = [
    read_only(typed(
        string("seatType", "The user's seat type; absent while the user holds no seat."),
        &["viewer", "provisional_member", "member", "no_access", "guest"],
    )),
    read_only(typed(
        string("status", "Whether the user is active or deactivated."),
        &["active", "deactivated"],
    )),
    read_only(boolean("managedByDirectory", "Whether Directory Integration manages this user's seat.")),
    read_only(AttrDef {
        kind: AttrType::DateTime,
        ..string("provisionalUntil", "When the provisional member review period ends.")
    }),
    read_only(multi(string("adminRoles", "The admin rights the user's roles grant."))),
];

pub static SEAT_USER: SchemaDef = SchemaDef {
    id: SEAT_USER_SCHEMA,
    name: "SeatUser",
    description: "scim-seat seat of the user (read-only; values sent by clients are ignored)",
    attributes: &SEAT_ATTRS,
};

// ---- Group (RFC 7643 §4.2) ----

const MEMBER_SUBS: [AttrDef; 4] = [
    AttrDef { mutability: Mutability::Immutable, ..exact(string("value", "The id of the member user.")) },
    AttrDef {
        kind: AttrType::Reference,
        reference_types: &["User"],
        mutability: Mutability::Immutable,
        ..exact(string("$ref", "The URI of the member user."))
    },
    read_only(string("display", "The displayName (or userName) of the member user.")),
    AttrDef {
        mutability: Mutability::Immutable,
        ..typed(string("type", "The kind of member: User (groups do not nest here)."), &["User"])
    },
];

static GROUP_ATTRS: [AttrDef; 2] = [
    AttrDef {
        required: true,
        uniqueness: Uniqueness::Server,
        ..string("displayName", "The name of the group, unique case-insensitively. Required.")
    },
    multi(complex("members", "The users in the group.", &MEMBER_SUBS)),
];

pub static GROUP: SchemaDef =
    SchemaDef { id: GROUP_SCHEMA, name: "Group", description: "Group", attributes: &GROUP_ATTRS };

/// Every schema served, in `/Schemas` order.
pub fn all() -> [&'static SchemaDef; 4] {
    [&USER, &ENTERPRISE_USER, &SEAT_USER, &GROUP]
}

/// The schema with this URN, compared case-insensitively.
pub fn by_urn(urn: &str) -> Option<&'static SchemaDef> {
    all().into_iter().find(|s| s.id.eq_ignore_ascii_case(urn))
}

/// The attribute of `attrs` with this name, compared case-insensitively.
pub fn find(attrs: &'static [AttrDef], name: &str) -> Option<&'static AttrDef> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

impl AttrDef {
    /// The sub-attribute with this name, compared case-insensitively.
    pub fn sub(&'static self, name: &str) -> Option<&'static AttrDef> {
        find(self.sub_attributes, name)
    }

    /// The RFC 7643 §7 representation of this attribute.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.kind.as_str()));
        m.insert("multiValued".into(), json!(self.multi_valued));
        m.insert("description".into(), json!(self.description));
        m.insert("required".into(), json!(self.required));
        m.insert("caseExact".into(), json!(self.case_exact));
        m.insert("mutability".into(), json!(self.mutability.as_str()));
        m.insert("returned".into(), json!(self.returned.as_str()));
        m.insert("uniqueness".into(), json!(self.uniqueness.as_str()));
        if !self.canonical_values.is_empty() {
            m.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if !self.reference_types.is_empty() {
            m.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if !self.sub_attributes.is_empty() {
            // Sub-attributes have none of their own, so this recursion is one level deep.
            let subs: Vec<Value> = self.sub_attributes.iter().map(AttrDef::to_json).collect();
            m.insert("subAttributes".into(), Value::Array(subs));
        }
        Value::Object(m)
    }
}

impl SchemaDef {
    /// The RFC 7643 §7 representation of this schema, without `meta` (the caller knows the URL).
    pub fn to_json(&self) -> Value {
        let attrs: Vec<Value> = self.attributes.iter().map(AttrDef::to_json).collect();
        json!({
            "schemas": [super::SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": attrs,
        })
    }
}

/// What an attribute name (a JSON key or the attribute part of a PATCH path) refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// A whole schema's attributes: an extension object under its URN key, or (for the resource's
    /// own core schema) the top level.
    Schema(&'static SchemaDef),
    /// An attribute, optionally one of its sub-attributes. `schema` is the schema that defines it;
    /// common attributes (`id`, `externalId`, `meta`) report the resource's core schema.
    Attr { schema: &'static SchemaDef, def: &'static AttrDef, sub: Option<&'static AttrDef> },
}

/// The schemas a User resource is made of: the core schema first.
pub fn user_schemas() -> [&'static SchemaDef; 3] {
    [&USER, &ENTERPRISE_USER, &SEAT_USER]
}

/// Resolves a User attribute name: `userName`, `name.givenName`, an enterprise or seat attribute
/// without its URN (`department`, `manager`), or any of them URN-qualified
/// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`), or a schema URN
/// alone. Names are matched case-insensitively. `Err` says what is unknown.
pub fn resolve_user(name: &str) -> Result<Resolved, String> {
    resolve(&user_schemas(), name)
}

/// Resolves a Group attribute name (`displayName`, `members`, `members.value`, URN-qualified too).
pub fn resolve_group(name: &str) -> Result<Resolved, String> {
    resolve(&[&GROUP], name)
}

/// `schemas[0]` is the resource's core schema; the others are its extensions.
fn resolve(schemas: &[&'static SchemaDef], name: &str) -> Result<Resolved, String> {
    let Some(core) = schemas.first().copied() else {
        return Err("no schema to resolve against".into());
    };
    if has_prefix_ci(name, "urn:") {
        for schema in schemas {
            if name.eq_ignore_ascii_case(schema.id) {
                return Ok(Resolved::Schema(schema));
            }
        }
        for schema in schemas {
            if let Some(rest) = strip_urn(name, schema.id) {
                let in_schema: &[&'static SchemaDef] = &[schema];
                return resolve_plain(core, in_schema, schema.id == core.id, rest)
                    .map_err(|e| format!("{e} of schema {}", schema.id));
            }
        }
        return Err(format!("'{name}' names no schema of this resource type"));
    }
    resolve_plain(core, schemas, true, name)
}

/// Resolves `attr` or `attr.sub` against the schemas in order (plus the common attributes).
fn resolve_plain(
    core: &'static SchemaDef,
    schemas: &[&'static SchemaDef],
    with_common: bool,
    name: &str,
) -> Result<Resolved, String> {
    let (attr, sub) = match name.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (name, None),
    };
    let found = if with_common { find(&COMMON, attr).map(|d| (core, d)) } else { None };
    let found = found.or_else(|| schemas.iter().find_map(|s| find(s.attributes, attr).map(|d| (*s, d))));
    let Some((schema, def)) = found else {
        return Err(format!("'{attr}' is not an attribute"));
    };
    let sub = match sub {
        None => None,
        Some(s) => match def.sub(s) {
            Some(d) => Some(d),
            None if def.kind == AttrType::Complex => {
                return Err(format!("'{s}' is not a sub-attribute of '{}'", def.name));
            }
            None => return Err(format!("'{}' has no sub-attributes, so '{name}' names nothing", def.name)),
        },
    };
    Ok(Resolved::Attr { schema, def, sub })
}

/// The schemas whose attributes sit at the top level of a resource: the core User and Group.
pub fn core_schemas() -> [&'static SchemaDef; 2] {
    [&USER, &GROUP]
}

/// The extension schemas, whose attributes sit in an object under the schema's URN.
pub fn extension_schemas() -> [&'static SchemaDef; 2] {
    [&ENTERPRISE_USER, &SEAT_USER]
}

/// Whether `urn` is the core User or core Group URN (case-insensitively): a prefix that means "top
/// level".
pub fn is_core_urn(urn: &str) -> bool {
    core_schemas().iter().any(|s| s.id.eq_ignore_ascii_case(urn))
}

/// Whether `urn` is the URN of an extension schema served here (case-insensitively).
pub fn is_extension_urn(urn: &str) -> bool {
    extension_schemas().iter().any(|s| s.id.eq_ignore_ascii_case(urn))
}

/// Whether values of `[urn:]attr[.sub]` compare case-sensitively (RFC 7643 `caseExact`): the one
/// answer for filters, sorting and PATCH, read from the attribute definitions above. Names are
/// matched case-insensitively.
///
/// A filter is parsed before anyone knows which resource type it will meet, so the name is looked
/// up in every schema: an unqualified name in the common attributes, then User, its extensions and
/// Group; a core URN (User or Group alike) in the common attributes, User and Group; an extension
/// URN in that extension only. A name no schema defines is caseExact only when it is a `$ref`
/// (attribute or sub-attribute), as every `$ref` of RFC 7643 is.
pub fn case_exact(urn: Option<&str>, attr: &str, sub: Option<&str>) -> bool {
    let in_schemas = |schemas: &[&'static SchemaDef]| schemas.iter().find_map(|s| find(s.attributes, attr));
    let def = match urn {
        None => find(&COMMON, attr).or_else(|| in_schemas(&[&USER, &ENTERPRISE_USER, &SEAT_USER, &GROUP])),
        Some(urn) if is_core_urn(urn) => find(&COMMON, attr).or_else(|| in_schemas(&core_schemas())),
        Some(urn) => extension_schemas()
            .into_iter()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
            .and_then(|s| find(s.attributes, attr)),
    };
    let known = match (def, sub) {
        (Some(def), None) => Some(def),
        (Some(def), Some(sub)) => def.sub(sub),
        (None, _) => None,
    };
    match known {
        Some(def) => def.case_exact,
        None => attr.eq_ignore_ascii_case("$ref") || sub.is_some_and(|s| s.eq_ignore_ascii_case("$ref")),
    }
}

fn has_prefix_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// `name` without `urn` and the `:` after it, when `name` starts with them (case-insensitively).
pub fn strip_urn<'a>(name: &'a str, urn: &str) -> Option<&'a str> {
    if !has_prefix_ci(name, urn) {
        return None;
    }
    name.get(urn.len()..)?.strip_prefix(':').filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(r: Result<Resolved, String>) -> (&'static str, &'static str, Option<&'static str>) {
        match r {
            Ok(Resolved::Attr { schema, def, sub }) => (schema.id, def.name, sub.map(|s| s.name)),
            other => panic!("not an attribute: {other:?}"),
        }
    }

    #[test]
    fn names_resolve_case_insensitively_to_canonical_names() {
        assert_eq!(attr(resolve_user("UserName")), (USER_SCHEMA, "userName", None));
        assert_eq!(attr(resolve_user("name.GIVENNAME")), (USER_SCHEMA, "name", Some("givenName")));
        assert_eq!(attr(resolve_user("emails.Value")), (USER_SCHEMA, "emails", Some("value")));
        assert_eq!(attr(resolve_user("EXTERNALID")), (USER_SCHEMA, "externalId", None));
        assert_eq!(attr(resolve_user("meta.created")), (USER_SCHEMA, "meta", Some("created")));
        assert_eq!(attr(resolve_group("Members.value")), (GROUP_SCHEMA, "members", Some("value")));
    }

    #[test]
    fn enterprise_names_resolve_with_and_without_urn() {
        let e = ENTERPRISE_USER_SCHEMA;
        assert_eq!(attr(resolve_user("manager")), (e, "manager", None));
        assert_eq!(attr(resolve_user(&format!("{e}:employeeNumber"))), (e, "employeeNumber", None));
        assert_eq!(
            attr(resolve_user("URN:IETF:params:scim:schemas:extension:enterprise:2.0:User:manager.value")),
            (e, "manager", Some("value"))
        );
        assert_eq!(resolve_user(e), Ok(Resolved::Schema(&ENTERPRISE_USER)));
        assert_eq!(attr(resolve_user(&format!("{USER_SCHEMA}:userName"))), (USER_SCHEMA, "userName", None));
        assert_eq!(attr(resolve_user("seatType")), (SEAT_USER_SCHEMA, "seatType", None));
    }

    #[test]
    fn unknown_names_say_what_is_unknown() {
        assert!(resolve_user("userNmae").is_err_and(|e| e.contains("userNmae")));
        assert!(resolve_user("name.nick").is_err_and(|e| e.contains("nick")));
        assert!(resolve_user("userName.x").is_err());
        assert!(resolve_user("urn:ietf:params:scim:schemas:extension:Custom:2.0:User:x").is_err());
        assert!(resolve_user(&format!("{ENTERPRISE_USER_SCHEMA}:userName")).is_err());
        assert!(resolve_group("userName").is_err());
        assert!(resolve_user(&format!("{ENTERPRISE_USER_SCHEMA}:")).is_err());
        // Multi-byte text must not panic on slicing.
        assert!(resolve_user("urné").is_err());
        assert!(resolve_user("ü").is_err());
    }

    #[test]
    fn every_schema_is_well_formed() {
        for s in all() {
            let j = s.to_json();
            assert_eq!(j["id"], s.id);
            let attrs = j["attributes"].as_array().unwrap();
            assert_eq!(attrs.len(), s.attributes.len());
            for a in s.attributes {
                assert!(!a.name.is_empty() && !a.description.is_empty(), "{}", a.name);
                assert_eq!(a.kind == AttrType::Complex, !a.sub_attributes.is_empty(), "{}", a.name);
                for sub in a.sub_attributes {
                    assert!(sub.sub_attributes.is_empty() && !sub.description.is_empty());
                }
            }
        }
        assert_eq!(USER.attributes.len(), 20);
        assert!(find(USER.attributes, "roles").is_some());
        assert!(find(SEAT_USER.attributes, "adminRoles").is_some_and(|a| a.multi_valued));
        assert!(SEAT_USER.attributes.iter().all(|a| a.mutability == Mutability::ReadOnly));
        assert_eq!(by_urn("urn:ietf:params:scim:schemas:core:2.0:group").map(|s| s.name), Some("Group"));
    }

    #[test]
    fn schema_json_carries_characteristics() {
        let j = USER.to_json();
        let user_name = &j["attributes"][0];
        assert_eq!(user_name["name"], "userName");
        assert_eq!(user_name["required"], true);
        assert_eq!(user_name["uniqueness"], "server");
        let password = j["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "password").unwrap();
        assert_eq!(password["returned"], "never");
        assert_eq!(password["mutability"], "writeOnly");
        let emails = j["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "emails").unwrap();
        assert_eq!(emails["multiValued"], true);
        assert_eq!(emails["subAttributes"][3]["type"], "boolean");
    }

    /// Every attribute and sub-attribute that compares case-sensitively, by where it sits. Anything
    /// of the User, Enterprise User, seat and Group schemas not listed here compares in any case.
    const CASE_EXACT: [(&str, Option<&str>); 10] = [
        ("id", None),
        ("externalId", None),
        ("meta", Some("location")),
        ("meta", Some("version")),
        ("groups", Some("value")),
        ("groups", Some("$ref")),
        ("members", Some("value")),
        ("members", Some("$ref")),
        ("manager", Some("value")),
        ("manager", Some("$ref")),
    ];

    fn listed_exact(attr: &str, sub: Option<&str>) -> bool {
        CASE_EXACT.contains(&(attr, sub))
    }

    /// `(schema the name lives in, its URN prefixes that reach it)`: unqualified and its own URN;
    /// the core schemas and common attributes through either core URN too.
    fn urns_reaching(s: &SchemaDef) -> Vec<Option<String>> {
        let mut urns = vec![None, Some(s.id.to_string()), Some(s.id.to_uppercase())];
        if is_core_urn(s.id) {
            urns.extend(core_schemas().iter().map(|c| Some(c.id.to_lowercase())));
        }
        urns
    }

    #[test]
    fn case_exact_walks_every_attribute_of_every_schema() {
        let mut homes: Vec<(&'static SchemaDef, &'static [AttrDef])> =
            all().into_iter().map(|s| (s, s.attributes)).collect();
        homes.push((&USER, &COMMON));
        homes.push((&GROUP, &COMMON));
        let mut walked = 0;
        for (s, attrs) in homes {
            for urn in urns_reaching(s) {
                for a in attrs {
                    for name in [a.name.to_string(), a.name.to_uppercase()] {
                        let want = listed_exact(a.name, None);
                        assert_eq!(case_exact(urn.as_deref(), &name, None), want, "{urn:?} {name}");
                        walked += 1;
                        for sub in a.sub_attributes {
                            let want = listed_exact(a.name, Some(sub.name));
                            for sub_name in [sub.name.to_string(), sub.name.to_lowercase()] {
                                let got = case_exact(urn.as_deref(), &name, Some(&sub_name));
                                assert_eq!(got, want, "{urn:?} {name}.{sub_name}");
                                walked += 1;
                            }
                        }
                        // A multi-valued complex attribute compared whole stands for its `value`.
                        if a.multi_valued && a.kind == AttrType::Complex {
                            let want = listed_exact(a.name, Some("value"));
                            assert_eq!(case_exact(urn.as_deref(), &name, Some("value")), want, "{name}");
                        }
                    }
                }
            }
        }
        assert!(walked > 500, "{walked}");
        // The table agrees with the flags the /Schemas documents announce.
        for attrs in all().map(|s| s.attributes).into_iter().chain([&COMMON[..]]) {
            for a in attrs {
                assert_eq!(a.case_exact, listed_exact(a.name, None), "{}", a.name);
                for sub in a.sub_attributes {
                    assert_eq!(
                        sub.case_exact,
                        listed_exact(a.name, Some(sub.name)),
                        "{}.{}",
                        a.name,
                        sub.name
                    );
                }
            }
        }
    }

    #[test]
    fn case_exact_of_names_no_schema_defines() {
        let (ent, seat) = (ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA);
        // References are caseExact wherever they are named.
        for (urn, attr, sub) in [
            (None, "$ref", None),
            (None, "$REF", None),
            (None, "anything", Some("$ref")),
            (None, "emails", Some("$ref")),
            (None, "userName", Some("$Ref")),
            (Some("urn:example:other"), "x", Some("$ref")),
            (Some(ent), "x", Some("$ref")),
            (Some(USER_SCHEMA), "manager", Some("$ref")),
        ] {
            assert!(case_exact(urn, attr, sub), "{urn:?} {attr} {sub:?}");
        }
        for (urn, attr, sub) in [
            (None, "anything", None),
            (None, "value", None),
            (None, "type", None),
            (None, "display", None),
            (None, "primary", None),
            (None, "name", Some("nick")),
            (None, "emails", Some("x")),
            (None, "userName", Some("value")),
            // An extension holds no common attributes.
            (Some(ent), "id", None),
            (Some(ent), "externalId", None),
            (Some(seat), "id", None),
            (Some(seat), "seatType", None),
            // The manager lives in the enterprise extension only.
            (Some(USER_SCHEMA), "manager", Some("value")),
            (Some(seat), "manager", Some("value")),
            (Some("urn:example:other"), "manager", Some("value")),
            (Some("urn:example:other"), "id", None),
            (Some("urn:ietf:params:scim:schemas:core:2.0:Schema"), "id", None),
            (Some(""), "id", None),
            // Compared in any case, as filters always have (see META_SUBS).
            (None, "meta", Some("resourceType")),
            (Some(GROUP_SCHEMA), "meta", Some("resourceType")),
        ] {
            assert!(!case_exact(urn, attr, sub), "{urn:?} {attr} {sub:?}");
        }
        // A core URN reaches the core attributes of either resource type.
        assert!(case_exact(Some(USER_SCHEMA), "members", Some("value")));
        assert!(case_exact(Some(GROUP_SCHEMA), "groups", Some("value")));
        assert!(case_exact(Some(&ent.to_lowercase()), "Manager", Some("Value")));
    }

    #[test]
    fn core_and_extension_urns() {
        assert!(is_core_urn(USER_SCHEMA) && is_core_urn(&GROUP_SCHEMA.to_uppercase()));
        assert!(!is_core_urn(ENTERPRISE_USER_SCHEMA) && !is_core_urn("urn:example:other"));
        assert!(
            is_extension_urn(ENTERPRISE_USER_SCHEMA) && is_extension_urn(&SEAT_USER_SCHEMA.to_lowercase())
        );
        assert!(
            !is_extension_urn(USER_SCHEMA) && !is_extension_urn("urn:ietf:params:scim:schemas:extension")
        );
    }
}
