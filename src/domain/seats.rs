//! Seat types, user status, and the plan settings that steer the seat rules.
//!
//! Owns: the five seat types of SPEC.md section 3 and how people see them (the base seat is called
//! *Viewer* in the Entra documents and *Contributor* in the Okta ones: one seat, two labels), the seat
//! a role can imply ([`TargetSeat`]: DI only ever targets viewer or member), a user's
//! active/deactivated status, and the typed plan [`Settings`] with their defaults, parsed from and
//! rendered to text for the admin API, the CLI (`settings set KEY VALUE`) and the store's rows.
//!
//! Does not own: any rule that moves a seat (that is `plan`), how settings are stored, or the DI
//! switch itself: `di_enabled` is read here but changed only through `rules::check_di_enable`'s guard.

use std::fmt;

/// A seat type (SPEC.md section 3). A deactivated user holds none (`Option<Seat>` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Seat {
    /// The base seat: *Viewer* (Entra documents) or *Contributor* (Okta documents).
    Viewer,
    /// Member features for a review period; reached only by a system-triggered qualifying action.
    ProvisionalMember,
    /// The paid seat.
    Member,
    /// Set by an admin to block access; DI overrides it on the next update call.
    NoAccess,
    /// An outside collaborator, managed only through the admin API; not in the IdP.
    Guest,
}

impl Seat {
    pub const ALL: [Seat; 5] =
        [Seat::Viewer, Seat::ProvisionalMember, Seat::Member, Seat::NoAccess, Seat::Guest];

    /// The identifier used in JSON, the SCIM seat extension, the database and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Seat::Viewer => "viewer",
            Seat::ProvisionalMember => "provisional_member",
            Seat::Member => "member",
            Seat::NoAccess => "no_access",
            Seat::Guest => "guest",
        }
    }

    /// Parses a seat identifier. Decision: lenient for people typing on a CLI: case is ignored, `-` and
    /// spaces stand for `_`, and the labels people see are accepted too (`Contributor` is the viewer
    /// seat, `Provisional Member`, `No Access`); output always uses the identifiers.
    pub fn parse(text: &str) -> Result<Seat, SeatParseError> {
        let normal: String = text
            .trim()
            .chars()
            .map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() })
            .collect();
        match normal.as_str() {
            "viewer" | "contributor" => Ok(Seat::Viewer),
            "provisional_member" => Ok(Seat::ProvisionalMember),
            "member" => Ok(Seat::Member),
            "no_access" => Ok(Seat::NoAccess),
            "guest" => Ok(Seat::Guest),
            _ => Err(SeatParseError { value: text.to_string() }),
        }
    }

    /// The name people see, with the plan's label for the base seat.
    pub fn label(self, base: BaseSeatLabel) -> &'static str {
        match self {
            Seat::Viewer => base.as_str(),
            Seat::ProvisionalMember => "Provisional Member",
            Seat::Member => "Member",
            Seat::NoAccess => "No Access",
            Seat::Guest => "Guest",
        }
    }

    /// Order of access, used to tell upgrades from downgrades: no_access < viewer < provisional
    /// member < member. A guest sits outside the ladder (0): DI never moves one.
    pub fn privilege(self) -> u8 {
        match self {
            Seat::NoAccess | Seat::Guest => 0,
            Seat::Viewer => 1,
            Seat::ProvisionalMember => 2,
            Seat::Member => 3,
        }
    }
}

impl std::str::FromStr for Seat {
    type Err = SeatParseError;
    fn from_str(text: &str) -> Result<Seat, SeatParseError> {
        Seat::parse(text)
    }
}

impl fmt::Display for Seat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A seat identifier that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatParseError {
    pub value: String,
}

impl fmt::Display for SeatParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown seat type {:?}; allowed: viewer (also called contributor), provisional_member, member, \
             no_access, guest",
            self.value
        )
    }
}

impl std::error::Error for SeatParseError {}

/// The seat the IdP's groups ask for. DI never targets provisional_member, no_access or guest, so the
/// type has only the two seats a role can imply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetSeat {
    Viewer,
    Member,
}

impl TargetSeat {
    pub fn seat(self) -> Seat {
        match self {
            TargetSeat::Viewer => Seat::Viewer,
            TargetSeat::Member => Seat::Member,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.seat().as_str()
    }
}

impl From<TargetSeat> for Seat {
    fn from(t: TargetSeat) -> Seat {
        t.seat()
    }
}

impl fmt::Display for TargetSeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

text_enum! {
    /// Whether a user can sign in. A deactivated user holds no seat; its data is kept.
    Status { Active = "active", Deactivated = "deactivated" }
}

text_enum! {
    /// `plan_model`: seat types (`user_model`) or the older licensed/unlicensed model (`legacy`).
    PlanModel { UserModel = "user_model", Legacy = "legacy" }
}

text_enum! {
    /// `seat_mapping`: seats follow the IdP's groups (`groups`), or every SCIM user is a viewer and
    /// group changes move no seat (`viewer_only`, the behaviour before group-based seat mapping).
    SeatMapping { Groups = "groups", ViewerOnly = "viewer_only" }
}

text_enum! {
    /// `base_seat_label`: what the viewer seat is called where people read it.
    BaseSeatLabel { Viewer = "Viewer", Contributor = "Contributor" }
}

text_enum! {
    /// `provisional_on_expiry`: what happens to a provisional member when the review period ends.
    OnExpiry { Downgrade = "downgrade", Keep = "keep" }
}

text_enum! {
    /// `deprovision`: what a SCIM DELETE does.
    Deprovision { Deactivate = "deactivate", Delete = "delete" }
}

text_enum! {
    /// `scim_reactivation`: whether SCIM `active=true` may reactivate a deactivated user while DI is on.
    ScimReactivation { Refuse = "refuse", Allow = "allow" }
}

text_enum! {
    /// `match_downgrade`: what the IdP's first write over an existing plan user does when it would
    /// lower the seat the administrator gave it (member -> viewer).
    MatchDowngrade { Hold = "hold", Apply = "apply" }
}

text_enum! {
    /// Every plan setting key, as written in the admin API, the CLI and the store.
    SettingKey {
        DiEnabled = "di_enabled",
        PlanModel = "plan_model",
        SeatMapping = "seat_mapping",
        BaseSeatLabel = "base_seat_label",
        AutoUpgrade = "auto_upgrade",
        ProvisionalReviewDays = "provisional_review_days",
        ProvisionalOnExpiry = "provisional_on_expiry",
        Deprovision = "deprovision",
        ScimReactivation = "scim_reactivation",
        MemberSeatLimit = "member_seat_limit",
        EnforceDomains = "enforce_domains",
        DeprovisionGuardMax = "deprovision_guard.max",
        DeprovisionGuardWindowMinutes = "deprovision_guard.window_minutes",
        RoleGroupPrefix = "role_group_prefix",
        MatchDowngrade = "match_downgrade",
    }
}

/// The JSON type a setting takes: the admin API accepts exactly this type (a string stays a string,
/// `null` clears an optional setting) and the store keeps the value with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingType {
    Bool,
    Number,
    OptionalNumber,
    /// One of a fixed set of names.
    Choice,
    OptionalText,
}

impl SettingType {
    /// The type in words, for errors that name it.
    pub fn describe(self) -> &'static str {
        match self {
            SettingType::Bool => "a boolean (true or false)",
            SettingType::Number => "a whole number",
            SettingType::OptionalNumber => "a whole number, or null for none",
            SettingType::Choice => "a string",
            SettingType::OptionalText => "a string, or null for none",
        }
    }
}

/// A setting's value, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    Null,
    Bool(bool),
    Number(u64),
    Text(String),
}

impl fmt::Display for SettingValue {
    /// The value as the audit log and the CLI show it (`none` for null).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Null => f.write_str("none"),
            SettingValue::Bool(b) => write!(f, "{b}"),
            SettingValue::Number(n) => write!(f, "{n}"),
            SettingValue::Text(t) => f.write_str(t),
        }
    }
}

impl SettingKey {
    pub fn value_type(self) -> SettingType {
        match self {
            SettingKey::DiEnabled | SettingKey::AutoUpgrade | SettingKey::EnforceDomains => SettingType::Bool,
            SettingKey::ProvisionalReviewDays
            | SettingKey::DeprovisionGuardMax
            | SettingKey::DeprovisionGuardWindowMinutes => SettingType::Number,
            SettingKey::MemberSeatLimit => SettingType::OptionalNumber,
            SettingKey::RoleGroupPrefix => SettingType::OptionalText,
            SettingKey::PlanModel
            | SettingKey::SeatMapping
            | SettingKey::BaseSeatLabel
            | SettingKey::ProvisionalOnExpiry
            | SettingKey::Deprovision
            | SettingKey::ScimReactivation
            | SettingKey::MatchDowngrade => SettingType::Choice,
        }
    }

    /// The numbers a numeric setting allows, in words.
    fn numbers_allowed(self) -> String {
        match self {
            SettingKey::ProvisionalReviewDays => format!(
                "a whole number of days from 0 to {MAX_PROVISIONAL_REVIEW_DAYS} (0 ends the review at the next sweep)"
            ),
            SettingKey::DeprovisionGuardWindowMinutes => {
                format!("a whole number of minutes from 1 to {MAX_GUARD_WINDOW_MINUTES} (one week)")
            }
            SettingKey::DeprovisionGuardMax => "a whole number of deprovisioning requests (0 or more)".into(),
            SettingKey::MemberSeatLimit => {
                "a whole number of member seats (0 or more), or none (also empty) for no limit".into()
            }
            _ => "a whole number".into(),
        }
    }

    /// Reads a value typed on a command line for this key: booleans as true/false (also yes/no,
    /// on/off, 1/0), numbers in digits, `none` (or nothing) clears an optional number. Text is kept
    /// as typed, so a role group prefix may be the word `none` (`settings unset` clears it).
    pub fn parse_text(self, text: &str) -> Result<SettingValue, SettingError> {
        let invalid =
            |allowed: String| SettingError::InvalidValue { key: self, value: text.to_string(), allowed };
        Ok(match self.value_type() {
            SettingType::Bool => {
                SettingValue::Bool(parse_bool(text).ok_or_else(|| invalid(BOOL_ALLOWED.into()))?)
            }
            SettingType::OptionalNumber if is_clear(text) => SettingValue::Null,
            SettingType::Number | SettingType::OptionalNumber => {
                SettingValue::Number(text.trim().parse().map_err(|_| invalid(self.numbers_allowed()))?)
            }
            SettingType::Choice | SettingType::OptionalText => SettingValue::Text(text.to_string()),
        })
    }
}

/// The longest review period accepted, in days (ten years): anything longer is a typo.
pub const MAX_PROVISIONAL_REVIEW_DAYS: u32 = 3650;
/// The longest deprovision-guard window accepted, in minutes (one week).
pub const MAX_GUARD_WINDOW_MINUTES: u64 = 7 * 24 * 60;
/// The longest role group prefix accepted, in characters.
pub const MAX_ROLE_GROUP_PREFIX: usize = 200;

/// The deprovision guard: more than `max` SCIM deactivations or deletes within `window_minutes`
/// trips a breaker (see `rules::check_deprovision_guard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeprovisionGuard {
    pub max: u64,
    pub window_minutes: u64,
}

/// The plan settings of SPEC.md sections 3 and 4, typed, with the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Directory Integration on or off. Changed only through the DI switch, never by [`Settings::set`].
    pub di_enabled: bool,
    pub plan_model: PlanModel,
    pub seat_mapping: SeatMapping,
    pub base_seat_label: BaseSeatLabel,
    /// A qualifying action makes a viewer a provisional member (the documents recommend turning it
    /// off while DI is on).
    pub auto_upgrade: bool,
    /// Length of a provisional member's review period; 0 ends it at the next sweep (labs).
    pub provisional_review_days: u32,
    pub provisional_on_expiry: OnExpiry,
    pub deprovision: Deprovision,
    pub scim_reactivation: ScimReactivation,
    /// The most member seats (licensed users on legacy plans) the plan may hold; `None`: no limit.
    pub member_seat_limit: Option<u64>,
    /// SCIM creates must be on a validated domain.
    pub enforce_domains: bool,
    pub deprovision_guard: DeprovisionGuard,
    /// A prefix stripped from group names before they are matched to roles, e.g. `Smartsheet US `
    /// for Okta push groups named after the app label.
    pub role_group_prefix: Option<String>,
    /// The IdP's first write over a plan user that would lower its seat: held (default) or applied.
    pub match_downgrade: MatchDowngrade,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            di_enabled: false,
            plan_model: PlanModel::UserModel,
            seat_mapping: SeatMapping::Groups,
            base_seat_label: BaseSeatLabel::Viewer,
            auto_upgrade: true,
            provisional_review_days: 30,
            // Decision: the documents name both behaviours ("System Admins must handle downgrades
            // manually ... or, if your plan is set to auto-downgrade, the change happens at the end of
            // the review period") without a default. Downgrade is the default so that a review period
            // means something unless the plan asks to keep provisional members.
            provisional_on_expiry: OnExpiry::Downgrade,
            deprovision: Deprovision::Deactivate,
            scim_reactivation: ScimReactivation::Refuse,
            member_seat_limit: None,
            enforce_domains: true,
            deprovision_guard: DeprovisionGuard { max: 500, window_minutes: 60 },
            role_group_prefix: None,
            match_downgrade: MatchDowngrade::Hold,
        }
    }
}

/// What a caller must do after a setting changed, beyond storing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// `plan_model` switched: run `rules::switch_plan_model(state, to)` once for every user, in the
    /// same transaction (legacy -> user_model maps licensed to member and unlicensed to viewer).
    MapUsersToPlanModel(PlanModel),
}

/// The result of [`Settings::set`]: the key, its typed value before and after (the audit log shows them),
/// and what the caller must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingChange {
    pub key: SettingKey,
    pub before: SettingValue,
    pub after: SettingValue,
    pub follow_up: Option<FollowUp>,
}

impl SettingChange {
    /// False when the value set was the value already held.
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// Why a setting could not be set. Each variant says what was wrong, with which value, and what to
/// do instead; the service answers 400 with [`SettingError::code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingError {
    UnknownKey {
        key: String,
    },
    ReadOnly {
        key: SettingKey,
    },
    InvalidValue {
        key: SettingKey,
        value: String,
        allowed: String,
    },
    /// The value has the wrong JSON type (a string for a number, say).
    WrongType {
        key: SettingKey,
        expected: SettingType,
    },
}

impl SettingError {
    pub fn code(&self) -> &'static str {
        match self {
            SettingError::UnknownKey { .. } => "unknown_setting",
            SettingError::ReadOnly { .. } => "read_only_setting",
            SettingError::InvalidValue { .. } => "invalid_setting_value",
            SettingError::WrongType { .. } => "invalid_setting_type",
        }
    }
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingError::UnknownKey { key } => {
                write!(f, "unknown setting {key:?}; known settings: {}", SettingKey::allowed())
            }
            SettingError::ReadOnly { key } => write!(
                f,
                "{key} is not changed as a setting: use the DI switch (POST /admin/di/enable or \
                 /admin/di/disable, or `scim-seat di enable|disable`), which checks the validated domains \
                 and previews downgrades first"
            ),
            SettingError::InvalidValue { key, value, allowed } => {
                write!(f, "{key} cannot be {value:?}; allowed: {allowed}")
            }
            SettingError::WrongType { key, expected } => {
                write!(f, "{key} takes {}; nothing was changed", expected.describe())
            }
        }
    }
}

impl std::error::Error for SettingError {}

const BOOL_ALLOWED: &str = "true, false (also yes/no, on/off, 1/0)";

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// `none`, `null` and the empty text clear an optional setting.
fn is_clear(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("null")
}

impl Settings {
    /// The label people see for a seat on this plan.
    pub fn seat_label(&self, seat: Seat) -> &'static str {
        seat.label(self.base_seat_label)
    }

    /// Sets one setting from text as typed on a command line (`settings set KEY VALUE`): the key is
    /// matched ignoring case and the text read by [`SettingKey::parse_text`]. On error nothing
    /// changes. `di_enabled` is refused: it has its own switch.
    pub fn set(&mut self, key: &str, text: &str) -> Result<SettingChange, SettingError> {
        let key = SettingKey::parse(key).ok_or_else(|| SettingError::UnknownKey { key: key.to_string() })?;
        self.set_value(key, key.parse_text(text)?)
    }

    /// Sets one setting to a typed value (admin API PATCH). On error nothing changes. `di_enabled` is
    /// refused: it has its own switch.
    pub fn set_value(&mut self, key: SettingKey, value: SettingValue) -> Result<SettingChange, SettingError> {
        if key == SettingKey::DiEnabled {
            return Err(SettingError::ReadOnly { key });
        }
        self.apply(key, value)
    }

    /// Builds settings from stored typed values, starting from the defaults. Unlike
    /// [`Settings::set_value`] this accepts `di_enabled`: it is how the store loads the switch's state.
    pub fn from_values<I>(values: I) -> Result<Settings, SettingError>
    where
        I: IntoIterator<Item = (SettingKey, SettingValue)>,
    {
        let mut settings = Settings::default();
        for (key, value) in values {
            settings.apply(key, value)?;
        }
        Ok(settings)
    }

    /// Every setting with its typed value, in a stable order (the order of [`SettingKey::ALL`]).
    pub fn values(&self) -> Vec<(SettingKey, SettingValue)> {
        SettingKey::ALL.iter().map(|&k| (k, self.value(k))).collect()
    }

    /// Advice about the current combination of settings, for people (GET /admin/settings, DI enable).
    pub fn advice(&self) -> Vec<&'static str> {
        let mut advice = Vec::new();
        if self.di_enabled && self.auto_upgrade && self.plan_model == PlanModel::UserModel {
            advice.push(
                "auto_upgrade is on while DI is on: the vendor documents recommend turning it off \
                 (`settings set auto_upgrade false`) to avoid conflicts with IdP-driven seats",
            );
        }
        advice
    }

    /// One setting's typed value.
    pub fn value(&self, key: SettingKey) -> SettingValue {
        let text = |t: &str| SettingValue::Text(t.to_string());
        match key {
            SettingKey::DiEnabled => SettingValue::Bool(self.di_enabled),
            SettingKey::PlanModel => text(self.plan_model.as_str()),
            SettingKey::SeatMapping => text(self.seat_mapping.as_str()),
            SettingKey::BaseSeatLabel => text(self.base_seat_label.as_str()),
            SettingKey::AutoUpgrade => SettingValue::Bool(self.auto_upgrade),
            SettingKey::ProvisionalReviewDays => {
                SettingValue::Number(u64::from(self.provisional_review_days))
            }
            SettingKey::ProvisionalOnExpiry => text(self.provisional_on_expiry.as_str()),
            SettingKey::Deprovision => text(self.deprovision.as_str()),
            SettingKey::ScimReactivation => text(self.scim_reactivation.as_str()),
            SettingKey::MemberSeatLimit => {
                self.member_seat_limit.map_or(SettingValue::Null, SettingValue::Number)
            }
            SettingKey::EnforceDomains => SettingValue::Bool(self.enforce_domains),
            SettingKey::DeprovisionGuardMax => SettingValue::Number(self.deprovision_guard.max),
            SettingKey::DeprovisionGuardWindowMinutes => {
                SettingValue::Number(self.deprovision_guard.window_minutes)
            }
            SettingKey::RoleGroupPrefix => {
                self.role_group_prefix.clone().map_or(SettingValue::Null, SettingValue::Text)
            }
            SettingKey::MatchDowngrade => text(self.match_downgrade.as_str()),
        }
    }

    /// Checks `value`'s type and range for `key` and stores it; reports the change and its follow-up.
    fn apply(&mut self, key: SettingKey, value: SettingValue) -> Result<SettingChange, SettingError> {
        let wrong_type = || SettingError::WrongType { key, expected: key.value_type() };
        let invalid = |allowed: String| SettingError::InvalidValue { key, value: value.to_string(), allowed };
        let before = self.value(key);
        let before_model = self.plan_model;
        let (flag, number, text) = match (key.value_type(), &value) {
            (SettingType::Bool, SettingValue::Bool(b)) => (*b, None, ""),
            (SettingType::Number | SettingType::OptionalNumber, SettingValue::Number(n)) => {
                (false, Some(*n), "")
            }
            (SettingType::OptionalNumber | SettingType::OptionalText, SettingValue::Null) => {
                (false, None, "")
            }
            (SettingType::Choice | SettingType::OptionalText, SettingValue::Text(t)) => {
                (false, None, t.as_str())
            }
            _ => return Err(wrong_type()),
        };
        match key {
            SettingKey::DiEnabled => self.di_enabled = flag,
            SettingKey::PlanModel => {
                self.plan_model = PlanModel::parse(text).ok_or_else(|| invalid(PlanModel::allowed()))?;
            }
            SettingKey::SeatMapping => {
                // Switching to `groups` is not retroactive: nothing is recomputed here.
                self.seat_mapping =
                    SeatMapping::parse(text).ok_or_else(|| invalid(SeatMapping::allowed()))?;
            }
            SettingKey::BaseSeatLabel => {
                self.base_seat_label =
                    BaseSeatLabel::parse(text).ok_or_else(|| invalid(BaseSeatLabel::allowed()))?;
            }
            SettingKey::AutoUpgrade => self.auto_upgrade = flag,
            SettingKey::ProvisionalReviewDays => {
                // Decision: a new length applies to review periods that start afterwards; running
                // ones keep the end they were given.
                self.provisional_review_days = number
                    .filter(|d| *d <= u64::from(MAX_PROVISIONAL_REVIEW_DAYS))
                    .and_then(|d| u32::try_from(d).ok())
                    .ok_or_else(|| invalid(key.numbers_allowed()))?;
            }
            SettingKey::ProvisionalOnExpiry => {
                self.provisional_on_expiry =
                    OnExpiry::parse(text).ok_or_else(|| invalid(OnExpiry::allowed()))?;
            }
            SettingKey::Deprovision => {
                self.deprovision = Deprovision::parse(text).ok_or_else(|| invalid(Deprovision::allowed()))?;
            }
            SettingKey::ScimReactivation => {
                self.scim_reactivation =
                    ScimReactivation::parse(text).ok_or_else(|| invalid(ScimReactivation::allowed()))?;
            }
            SettingKey::MatchDowngrade => {
                self.match_downgrade =
                    MatchDowngrade::parse(text).ok_or_else(|| invalid(MatchDowngrade::allowed()))?;
            }
            // Decision: lowering the limit below the seats in use takes no seat away; it only blocks
            // further upgrades until enough member seats are freed. 0 is allowed and means no member
            // seat may be given.
            SettingKey::MemberSeatLimit => self.member_seat_limit = number,
            SettingKey::EnforceDomains => self.enforce_domains = flag,
            // Decision: 0 is allowed and means the first SCIM deprovisioning trips the breaker (a
            // freeze while a roll-out is checked).
            SettingKey::DeprovisionGuardMax => self.deprovision_guard.max = number.unwrap_or_default(),
            SettingKey::DeprovisionGuardWindowMinutes => {
                self.deprovision_guard.window_minutes =
                    number.filter(|m| (1..=MAX_GUARD_WINDOW_MINUTES).contains(m)).ok_or_else(|| {
                        invalid(format!(
                            "a whole number of minutes from 1 to {MAX_GUARD_WINDOW_MINUTES} (one week)"
                        ))
                    })?;
            }
            SettingKey::RoleGroupPrefix => {
                // Kept as given (a trailing space is part of `Smartsheet US `); matching trims the rest.
                // The empty text clears it like null.
                self.role_group_prefix = match &value {
                    SettingValue::Text(t) if t.chars().count() > MAX_ROLE_GROUP_PREFIX => {
                        return Err(invalid(format!(
                            "a prefix of at most {MAX_ROLE_GROUP_PREFIX} characters, or null for no prefix"
                        )));
                    }
                    SettingValue::Text(t) if !t.is_empty() => Some(t.clone()),
                    _ => None,
                };
            }
        }
        let follow_up =
            (self.plan_model != before_model).then_some(FollowUp::MapUsersToPlanModel(self.plan_model));
        Ok(SettingChange { key, before, after: self.value(key), follow_up })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_identifiers_round_trip_for_every_seat() {
        let expected = ["viewer", "provisional_member", "member", "no_access", "guest"];
        for (seat, text) in Seat::ALL.iter().zip(expected) {
            assert_eq!(seat.as_str(), text);
            assert_eq!(Seat::parse(text), Ok(*seat));
            assert_eq!(seat.to_string(), text);
        }
    }

    #[test]
    fn seat_parse_accepts_the_labels_people_see() {
        assert_eq!(Seat::parse(" Contributor "), Ok(Seat::Viewer));
        assert_eq!(Seat::parse("Viewer"), Ok(Seat::Viewer));
        assert_eq!(Seat::parse("Provisional Member"), Ok(Seat::ProvisionalMember));
        assert_eq!(Seat::parse("NO-ACCESS"), Ok(Seat::NoAccess));
        assert_eq!(Seat::parse("No Access"), Ok(Seat::NoAccess));
    }

    #[test]
    fn seat_parse_error_names_the_value_and_the_allowed_seats() {
        let err = Seat::parse("owner").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"owner\""), "{text}");
        for seat in Seat::ALL {
            assert!(text.contains(seat.as_str()), "{text}");
        }
    }

    #[test]
    fn seat_label_uses_the_plans_base_seat_label() {
        let cases = [
            (Seat::Viewer, "Viewer", "Contributor"),
            (Seat::ProvisionalMember, "Provisional Member", "Provisional Member"),
            (Seat::Member, "Member", "Member"),
            (Seat::NoAccess, "No Access", "No Access"),
            (Seat::Guest, "Guest", "Guest"),
        ];
        for (seat, viewer_plan, contributor_plan) in cases {
            assert_eq!(seat.label(BaseSeatLabel::Viewer), viewer_plan);
            assert_eq!(seat.label(BaseSeatLabel::Contributor), contributor_plan);
        }
        let mut s = Settings::default();
        s.set("base_seat_label", "contributor").unwrap();
        assert_eq!(s.seat_label(Seat::Viewer), "Contributor");
    }

    #[test]
    fn privilege_orders_member_over_provisional_over_viewer_over_no_access() {
        assert!(Seat::Member.privilege() > Seat::ProvisionalMember.privilege());
        assert!(Seat::ProvisionalMember.privilege() > Seat::Viewer.privilege());
        assert!(Seat::Viewer.privilege() > Seat::NoAccess.privilege());
    }

    #[test]
    fn target_seat_is_only_viewer_or_member() {
        assert_eq!(Seat::from(TargetSeat::Viewer), Seat::Viewer);
        assert_eq!(Seat::from(TargetSeat::Member), Seat::Member);
        assert_eq!(TargetSeat::Member.to_string(), "member");
    }

    #[test]
    fn status_round_trips() {
        assert_eq!(Status::parse("ACTIVE"), Some(Status::Active));
        assert_eq!(Status::parse("deactivated"), Some(Status::Deactivated));
        assert_eq!(Status::parse("gone"), None);
        assert_eq!(Status::Deactivated.as_str(), "deactivated");
    }

    #[test]
    fn settings_defaults_are_the_documented_ones() {
        let s = Settings::default();
        assert!(!s.di_enabled);
        assert_eq!(s.plan_model, PlanModel::UserModel);
        assert_eq!(s.seat_mapping, SeatMapping::Groups);
        assert_eq!(s.base_seat_label, BaseSeatLabel::Viewer);
        assert!(s.auto_upgrade);
        assert_eq!(s.provisional_review_days, 30);
        assert_eq!(s.provisional_on_expiry, OnExpiry::Downgrade);
        assert_eq!(s.deprovision, Deprovision::Deactivate);
        assert_eq!(s.scim_reactivation, ScimReactivation::Refuse);
        assert_eq!(s.member_seat_limit, None);
        assert!(s.enforce_domains);
        assert_eq!(s.deprovision_guard, DeprovisionGuard { max: 500, window_minutes: 60 });
        assert_eq!(s.role_group_prefix, None);
    }

    #[test]
    fn set_parses_every_settable_key_from_text() {
        // (key as typed, value as typed, value read back)
        let cases = [
            ("plan_model", "legacy", "legacy"),
            ("PLAN_MODEL", " User_Model ", "user_model"),
            ("seat_mapping", "viewer_only", "viewer_only"),
            ("base_seat_label", "contributor", "Contributor"),
            ("auto_upgrade", "off", "false"),
            ("auto_upgrade", "TRUE", "true"),
            ("provisional_review_days", "0", "0"),
            ("provisional_review_days", "45", "45"),
            ("provisional_on_expiry", "keep", "keep"),
            ("deprovision", "delete", "delete"),
            ("scim_reactivation", "allow", "allow"),
            ("member_seat_limit", "25", "25"),
            ("member_seat_limit", "none", "none"),
            ("member_seat_limit", "", "none"),
            ("enforce_domains", "no", "false"),
            ("deprovision_guard.max", "50", "50"),
            ("deprovision_guard.window_minutes", "15", "15"),
            ("role_group_prefix", "Smartsheet US ", "Smartsheet US "),
            ("role_group_prefix", "none", "none"),
        ];
        let mut s = Settings::default();
        for (key, value, read_back) in cases {
            let change = s.set(key, value).unwrap_or_else(|e| panic!("{key}={value}: {e}"));
            assert_eq!(change.after.to_string(), read_back, "{key}={value}");
            assert_eq!(s.value(SettingKey::parse(key).unwrap()).to_string(), read_back, "{key}");
        }
        // Typed text stays text: the prefix is now the word `none`, not cleared.
        assert_eq!(s.role_group_prefix.as_deref(), Some("none"));
    }

    #[test]
    fn set_refuses_bad_values_naming_the_key_the_value_and_the_allowed_values() {
        let cases = [
            ("plan_model", "enterprise", "user_model, legacy"),
            ("seat_mapping", "roles", "groups, viewer_only"),
            ("base_seat_label", "Reader", "Viewer, Contributor"),
            ("auto_upgrade", "maybe", "true, false"),
            ("provisional_review_days", "-1", "from 0 to 3650"),
            ("provisional_review_days", "3651", "from 0 to 3650"),
            ("provisional_on_expiry", "delete", "downgrade, keep"),
            ("deprovision", "purge", "deactivate, delete"),
            ("scim_reactivation", "sometimes", "refuse, allow"),
            ("member_seat_limit", "ten", "or none"),
            ("enforce_domains", "2", "true, false"),
            ("deprovision_guard.max", "-5", "0 or more"),
            ("deprovision_guard.window_minutes", "0", "from 1 to 10080"),
        ];
        for (key, value, allowed) in cases {
            let mut s = Settings::default();
            let err = s.set(key, value).unwrap_err();
            assert_eq!(err.code(), "invalid_setting_value");
            let text = err.to_string();
            assert!(text.contains(key), "{text}");
            assert!(text.contains(&format!("{value:?}")), "{text}");
            assert!(text.contains(allowed), "{text}");
            assert_eq!(s, Settings::default(), "a refused set changes nothing");
        }
    }

    #[test]
    fn di_enabled_is_not_settable_it_has_its_own_switch() {
        let mut s = Settings::default();
        let err = s.set("di_enabled", "true").unwrap_err();
        assert_eq!(err, SettingError::ReadOnly { key: SettingKey::DiEnabled });
        assert!(err.to_string().contains("/admin/di/enable"));
        assert!(!s.di_enabled);
    }

    #[test]
    fn unknown_setting_lists_the_known_ones() {
        let err = Settings::default().set("seat_limit", "3").unwrap_err();
        assert_eq!(err.code(), "unknown_setting");
        let text = err.to_string();
        assert!(text.contains("\"seat_limit\"") && text.contains("member_seat_limit"), "{text}");
    }

    #[test]
    fn switching_legacy_to_user_model_asks_for_the_one_time_mapping() {
        let mut s = Settings { plan_model: PlanModel::Legacy, ..Settings::default() };
        let change = s.set("plan_model", "user_model").unwrap();
        assert!(change.changed());
        assert_eq!(change.follow_up, Some(FollowUp::MapUsersToPlanModel(PlanModel::UserModel)));
        // Setting the value already held is no change and no mapping.
        let again = s.set("plan_model", "user_model").unwrap();
        assert!(!again.changed());
        assert_eq!(again.follow_up, None);
        let back = s.set("plan_model", "legacy").unwrap();
        assert_eq!(back.follow_up, Some(FollowUp::MapUsersToPlanModel(PlanModel::Legacy)));
        assert_eq!((back.before.to_string(), back.after.to_string()), ("user_model".into(), "legacy".into()));
    }

    #[test]
    fn other_settings_have_no_follow_up() {
        let mut s = Settings::default();
        // Switching to groups is not retroactive: no follow-up.
        s.set("seat_mapping", "viewer_only").unwrap();
        assert_eq!(s.set("seat_mapping", "groups").unwrap().follow_up, None);
    }

    #[test]
    fn values_list_every_key_with_its_type() {
        let s = Settings::default();
        let values = s.values();
        assert_eq!(values.len(), SettingKey::ALL.len());
        for (key, value) in &values {
            assert_eq!(&s.value(*key), value);
            let fits = matches!(
                (key.value_type(), value),
                (SettingType::Bool, SettingValue::Bool(_))
                    | (SettingType::Number | SettingType::OptionalNumber, SettingValue::Number(_))
                    | (SettingType::OptionalNumber | SettingType::OptionalText, SettingValue::Null)
                    | (SettingType::Choice | SettingType::OptionalText, SettingValue::Text(_))
            );
            assert!(fits, "{key}: {value:?}");
        }
        assert!(values.contains(&(SettingKey::DiEnabled, SettingValue::Bool(false))));
        assert!(values.contains(&(SettingKey::DeprovisionGuardMax, SettingValue::Number(500))));
        assert!(values.contains(&(SettingKey::MemberSeatLimit, SettingValue::Null)));
    }

    #[test]
    fn from_values_loads_stored_values_including_the_di_switch() {
        let mut stored = Settings::default();
        stored.set("member_seat_limit", "7").unwrap();
        stored.set("role_group_prefix", "Smartsheet US ").unwrap();
        stored.di_enabled = true;
        let loaded = Settings::from_values(stored.values()).unwrap();
        assert_eq!(loaded, stored);
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_naming_the_key_and_the_type() {
        let mut s = Settings::default();
        let before = s.clone();
        for (key, value) in [
            (SettingKey::ProvisionalReviewDays, SettingValue::Text("7".into())),
            (SettingKey::AutoUpgrade, SettingValue::Text("true".into())),
            (SettingKey::RoleGroupPrefix, SettingValue::Number(2024)),
            (SettingKey::PlanModel, SettingValue::Null),
            (SettingKey::DeprovisionGuardMax, SettingValue::Null),
        ] {
            let err = s.set_value(key, value).unwrap_err();
            assert_eq!(err.code(), "invalid_setting_type");
            let text = err.to_string();
            assert!(text.contains(key.as_str()) && text.contains(key.value_type().describe()), "{text}");
        }
        assert_eq!(s, before);
    }

    #[test]
    fn a_string_stays_a_string_and_null_clears() {
        let mut s = Settings::default();
        s.set_value(SettingKey::RoleGroupPrefix, SettingValue::Text("2024".into())).unwrap();
        assert_eq!(s.value(SettingKey::RoleGroupPrefix), SettingValue::Text("2024".into()));
        s.set_value(SettingKey::RoleGroupPrefix, SettingValue::Text("none".into())).unwrap();
        assert_eq!(s.role_group_prefix.as_deref(), Some("none"));
        s.set_value(SettingKey::RoleGroupPrefix, SettingValue::Null).unwrap();
        assert_eq!(s.role_group_prefix, None);
        s.set_value(SettingKey::MemberSeatLimit, SettingValue::Number(3)).unwrap();
        s.set_value(SettingKey::MemberSeatLimit, SettingValue::Null).unwrap();
        assert_eq!(s.member_seat_limit, None);
    }

    #[test]
    fn advice_recommends_auto_upgrade_off_while_di_is_on() {
        let mut s = Settings::default();
        assert!(s.advice().is_empty());
        s.di_enabled = true;
        assert_eq!(s.advice().len(), 1);
        s.set("auto_upgrade", "false").unwrap();
        assert!(s.advice().is_empty());
    }
}
