//! Guards that move no seat: whether a step may go ahead at all.
//!
//! Owns the DI-enable guard (a validated domain; no downgrade unless forced), the reconcile guard
//! (DI on), the validated-domain check of a SCIM create, the deprovision guard (the breaker on mass
//! deactivations and deletes) and the pending filter of the admin user list. Each returns a
//! [`Refusal`] or a yes/no; none changes a user.

use super::outcome::{Refusal, RefusalKind, Rule};
use super::state::UserState;
use crate::domain::seats::{PlanModel, Settings};

/// The guard of `POST /admin/di/enable` (and `scim-seat di enable`) once the preview is computed:
/// turning DI on needs at least one validated domain, and is refused while the preview downgrades
/// anyone (a member who would become viewer on the next sync; Decision: on legacy plans, a licensed
/// user who would become unlicensed) unless `force`. A dry run reports the preview without calling
/// this. Enabling DI changes no seat by itself: the preview shows what each user's next update call
/// will do.
pub fn check_di_enable(validated_domains: usize, downgrades: usize, force: bool) -> Result<(), Refusal> {
    if validated_domains == 0 {
        return Err(Refusal::new(
            Rule::NoValidatedDomain,
            RefusalKind::Conflict,
            "turning Directory Integration on needs at least one validated domain: add one \
             (POST /admin/domains, `scim-seat domain add NAME`) and verify it",
        ));
    }
    if downgrades > 0 && !force {
        return Err(Refusal::new(
            Rule::DiEnableWouldDowngrade,
            RefusalKind::Conflict,
            format!(
                "turning Directory Integration on would downgrade {downgrades} user(s) to viewer on their next \
                 update call (listed in changes): give them a member role group in the IdP first, or turn DI on \
                 anyway with force: true (`--force`)"
            ),
        ));
    }
    Ok(())
}

/// Reconcile applies DI's group logic, so applying it needs DI on (a dry run does not).
pub fn check_reconcile_apply(settings: &Settings) -> Result<(), Refusal> {
    if settings.di_enabled {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::ReconcileNeedsDiOn,
            RefusalKind::Conflict,
            "reconcile applies Directory Integration's group logic, which runs only while DI is on: turn DI on \
             first (its preview lists the same changes), or run reconcile as a dry run",
        ))
    }
}

/// A SCIM create must be on a validated domain (unless `enforce_domains` is off): the domain of the
/// userName, or of the primary email when the userName is not an address. Decision: a domain matches
/// exactly, ignoring case; a subdomain needs validating on its own.
pub fn check_user_domain<S: AsRef<str>>(
    user_name: &str,
    primary_email: Option<&str>,
    validated_domains: &[S],
    settings: &Settings,
) -> Result<(), Refusal> {
    if !settings.enforce_domains {
        return Ok(());
    }
    // Seed 002: "the primary email address on a validated domain". The userName stands in only when
    // the user has no email at all and it is an address.
    let address = match primary_email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) => email,
        None => user_name.trim(),
    };
    let Some((address, domain)) = email_domain(address).map(|d| (address, d)) else {
        return Err(Refusal::new(
            Rule::DomainNotValidated,
            RefusalKind::InvalidValue,
            match primary_email {
                Some(email) => format!(
                    "the primary email {email:?} is not an email address, so its domain can't be checked against \
                     the validated domains: send an address, or turn enforce_domains off for test tools"
                ),
                None => format!(
                    "userName {user_name:?} is not an email address and there is no email, so its domain can't \
                     be checked against the validated domains: send an address, or turn enforce_domains off for \
                     test tools"
                ),
            },
        ));
    };
    let validated = validated_domains
        .iter()
        .any(|v| v.as_ref().trim().trim_end_matches('.').eq_ignore_ascii_case(domain));
    if validated {
        return Ok(());
    }
    let known: Vec<&str> = validated_domains.iter().map(|v| v.as_ref().trim()).collect();
    let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
    Err(Refusal::new(
        Rule::DomainNotValidated,
        RefusalKind::InvalidValue,
        format!(
            "the domain {domain:?} of {address:?} is not a validated domain of this plan (validated: {known}): \
             add and verify it (POST /admin/domains, then /verify), or turn enforce_domains off for labs"
        ),
    ))
}

/// The domain of an address `local@domain`, without a trailing dot.
fn email_domain(address: &str) -> Option<&str> {
    let (local, domain) = address.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    (!local.is_empty() && !domain.is_empty() && !domain.contains(char::is_whitespace)).then_some(domain)
}

/// The deprovision guard before a SCIM deactivation or delete: `deprovisions_in_window` counts those
/// already made within `deprovision_guard.window_minutes`. More than `deprovision_guard.max` trips the
/// breaker: this request and every later one is refused (429) until an admin resets it, while other
/// requests flow. Decision: the request that would be number max+1 is itself refused, so no more than
/// `max` get through; a deactivation of a user already deactivated is not counted.
/// Whether the deprovision guard refuses deprovisions now: its breaker tripped (and not reset), or
/// the deprovisions in its window already reach the maximum (the maximum may have been lowered since).
/// The guard's status and its answers both come from this one computation.
pub fn deprovision_guard_tripped(
    settings: &Settings,
    stored_tripped: bool,
    deprovisions_in_window: u64,
) -> bool {
    stored_tripped || deprovisions_in_window >= settings.deprovision_guard.max
}

pub fn check_deprovision_guard(
    settings: &Settings,
    tripped: bool,
    deprovisions_in_window: u64,
) -> Result<(), Refusal> {
    let guard = settings.deprovision_guard;
    if deprovision_guard_tripped(settings, tripped, deprovisions_in_window) {
        return Err(Refusal::new(
            Rule::DeprovisionGuardTripped,
            RefusalKind::TooManyRequests,
            format!(
                "the deprovision guard has tripped: more than {} SCIM deactivations or deletes within {} minutes. \
                 Nothing was changed and the IdP will retry; check the IdP for an accidental unassignment, then \
                 reset the guard (POST /admin/deprovision-guard/reset)",
                guard.max, guard.window_minutes
            ),
        ));
    }
    Ok(())
}

/// An unlicensed user provisioned through SCIM who never signed in and is in no group is hidden from
/// the admin user list unless `include=pending` is asked, on legacy plans only (seed 001, LCM); on a
/// user-model plan nobody is hidden.
pub fn is_pending(state: &UserState, plan_model: PlanModel, in_any_group: bool) -> bool {
    // Seed 001 (LCM) hides these on legacy plans only; on a user-model plan every viewer is listed.
    let unlicensed = plan_model == PlanModel::Legacy && !state.licensed;
    state.is_active()
        && state.managed_by_directory
        && !state.is_guest
        && state.first_sign_in.is_none()
        && !in_any_group
        && unlicensed
}
