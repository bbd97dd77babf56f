//! SCIM Groups: create, read, replace, patch and delete. Membership changes are O(changed members)
//! and each is an update call for the users it adds or removes.

use super::*;

/// The 400 for member ids that are not SCIM-visible users (nothing is changed: the write is rolled
/// back): the first five and how many more.
fn missing_members(missing: &[String]) -> Error {
    let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
    Error::invalid_value(format!(
        "members must be existing users; no user has id {}{}",
        shown.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", "),
        if missing.len() > 5 { format!(" (and {} more)", missing.len() - 5) } else { String::new() }
    ))
}

pub(super) fn create_group(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let body = resource::canonical_group(body_text(ctx.req)?)?;
    let projection = projection_of(ctx)?;
    let actor = actor(ctx);
    let (out, version, id) = app.store.write(|tx| {
        let plan = Plan::load(tx)?;
        plan.require_scim_writes()?;
        let now = util::now_rfc3339_secs();
        let mut g = GroupRow {
            id: util::uuid()?,
            seq: 0,
            display_name: body.display_name.clone(),
            external_id: body.external_id.clone(),
            version: 1,
            created: now.clone(),
            last_modified: now,
        };
        if !groups::by_display_name(tx, &g.display_name)?.is_empty() {
            return Err(Error::uniqueness(format!(
                "a group with displayName \"{}\" already exists",
                g.display_name
            )));
        }
        g.seq = groups::insert(tx, &g)?;
        change_members(tx, &plan, &actor, &g, body.members.as_deref().unwrap_or_default(), &[])?;
        Ok((group_text(app, tx, &g, &projection)?, g.version, g.id))
    })?;
    Ok(resource_text(201, out, version, Some(group_location(app, &id))))
}

pub(super) fn get_group(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let id = c.param(0).to_string();
    let id = id.as_str();
    let w = &*c.w;
    let projection = projection_of(ctx)?;
    let g = visible_group(&w.read, id)?;
    if not_modified(ctx, g.version) {
        return Ok(Response::empty(304).header("ETag", version_tag(g.version)));
    }
    Ok(resource_text(200, group_text(app, &w.read, &g, &projection)?, g.version, None))
}

pub(super) fn rename(tx: &WriteTx<'_>, g: &mut GroupRow, name: &str) -> Result<()> {
    if !name.eq_ignore_ascii_case(&g.display_name)
        && groups::by_display_name(tx, name)?.iter().any(|o| o.id != g.id)
    {
        return Err(Error::uniqueness(format!("a group with displayName \"{name}\" already exists")));
    }
    g.display_name = name.to_string();
    Ok(())
}

pub(super) fn replace_group(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let id = c.param(0).to_string();
    let id = id.as_str();
    let body = resource::canonical_group(body_text(ctx.req)?)?;
    let projection = projection_of(ctx)?;
    let actor = actor(ctx);
    let (out, version) = app.store.write(|tx| {
        let plan = Plan::load(tx)?;
        let mut g = visible_group(tx, id)?;
        check_if_match(ctx, g.version)?;
        plan.require_scim_writes()?;
        rename(tx, &mut g, &body.display_name)?;
        g.external_id = body.external_id.clone();
        // PUT replaces the member list when it carries one (Okta AIW pushes membership this way).
        if let Some(wanted) = &body.members {
            let current = groups::member_id_set(tx, g.seq)?;
            let wanted_set: std::collections::HashSet<&String> = wanted.iter().collect();
            let mut gone: Vec<String> = current.iter().filter(|u| !wanted_set.contains(u)).cloned().collect();
            gone.sort();
            let new: Vec<String> = wanted.iter().filter(|u| !current.contains(*u)).cloned().collect();
            change_members(tx, &plan, &actor, &g, &new, &gone)?;
        }
        g.version += 1;
        g.last_modified = util::now_rfc3339_secs();
        groups::update(tx, &g)?;
        Ok((group_text(app, tx, &g, &projection)?, g.version))
    })?;
    Ok(resource_text(200, out, version, None))
}

pub(super) fn patch_group(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let id = c.param(0).to_string();
    let id = id.as_str();
    let changes = patch::group_changes(patch::parse_ops(body_text(ctx.req)?)?)?;
    let projection = projection_of(ctx)?;
    let wants_body = !projection.attributes.is_empty();
    let actor = actor(ctx);
    let (out, version) = app.store.write(|tx| {
        let plan = Plan::load(tx)?;
        let mut g = visible_group(tx, id)?;
        check_if_match(ctx, g.version)?;
        plan.require_scim_writes()?;
        if let Some(name) = &changes.display_name {
            rename(tx, &mut g, name)?;
        }
        if let Some(ext) = &changes.external_id {
            g.external_id = ext.clone();
        }
        let (add, remove) = net_members(tx, g.seq, &changes.members)?;
        change_members(tx, &plan, &actor, &g, &add, &remove)?;
        g.version += 1;
        g.last_modified = util::now_rfc3339_secs();
        groups::update(tx, &g)?;
        let out = if wants_body { Some(group_text(app, tx, &g, &projection)?) } else { None };
        Ok((out, g.version))
    })?;
    Ok(match out {
        Some(body) => resource_text(200, body, version, None),
        None => Response::empty(204).header("ETag", version_tag(version)),
    })
}

pub(super) fn delete_group(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let id = c.param(0).to_string();
    let id = id.as_str();
    let actor = actor(ctx);
    app.store.write(|tx| {
        let plan = Plan::load(tx)?;
        let g = visible_group(tx, id)?;
        check_if_match(ctx, g.version)?;
        plan.require_scim_writes()?;
        // Deleting a group removes its members from it: an update call for each whose roles change.
        let members = groups::members(tx, g.seq)?;
        groups::delete(tx, &g, &util::now_rfc3339_secs())?;
        seats::membership_changed(tx, &plan, &actor, &g.display_name, &[], &members)
    })?;
    Ok(Response::empty(204))
}

/// The net effect of a PATCH's member operations against the members the group has now: who joins
/// and who leaves. Only those count as changed (an Okta full push `replace members` that resends the
/// unchanged list changes nobody). The whole member list is read only when an operation replaces or
/// clears it; otherwise each named user is looked up, so the cost follows the request, not the group.
fn net_members(
    tx: &WriteTx<'_>,
    group_seq: i64,
    ops: &[patch::MemberOp],
) -> Result<(Vec<String>, Vec<String>)> {
    let mut cleared = false;
    let mut wanted: Vec<(String, bool)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut want = |id: &String, member: bool, wanted: &mut Vec<(String, bool)>| match index.get(id) {
        Some(&i) => wanted[i].1 = member,
        None => {
            index.insert(id.clone(), wanted.len());
            wanted.push((id.clone(), member));
        }
    };
    for op in ops {
        match op {
            patch::MemberOp::Add(ids) => ids.iter().for_each(|id| want(id, true, &mut wanted)),
            patch::MemberOp::Remove(ids) => ids.iter().for_each(|id| want(id, false, &mut wanted)),
            patch::MemberOp::RemoveAll | patch::MemberOp::Replace(_) => {
                // Everyone not named again from here on leaves.
                cleared = true;
                wanted.iter_mut().for_each(|w| w.1 = false);
                if let patch::MemberOp::Replace(ids) = op {
                    ids.iter().for_each(|id| want(id, true, &mut wanted));
                }
            }
        }
    }
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    if cleared {
        let current = groups::member_id_set(tx, group_seq)?;
        let keep: std::collections::HashSet<&str> =
            wanted.iter().filter(|(_, m)| *m).map(|(id, _)| id.as_str()).collect();
        add.extend(wanted.iter().filter(|(id, m)| *m && !current.contains(id)).map(|(id, _)| id.clone()));
        remove.extend(current.iter().filter(|id| !keep.contains(id.as_str())).cloned());
        remove.sort();
    } else {
        for (id, member) in &wanted {
            match (*member, groups::is_member(tx, group_seq, id)?) {
                (true, false) => add.push(id.clone()),
                (false, true) => remove.push(id.clone()),
                _ => {}
            }
        }
    }
    Ok((add, remove))
}

/// Applies a group's net membership change: writes it, refuses it when a user who joins is not a
/// SCIM-visible user (the members kept are members already), and runs the seat rules for everyone
/// who joined or left.
fn change_members(
    tx: &WriteTx<'_>,
    plan: &Plan,
    actor: &Actor,
    g: &GroupRow,
    join: &[String],
    leave: &[String],
) -> Result<()> {
    let now = util::now_rfc3339_secs();
    let removed = groups::remove_members(tx, g.seq, leave, &now)?;
    let added = groups::add_members(tx, g.seq, join, &now)?;
    // `join` names no current member, so an id it names that was not added is no visible user.
    if added.len() < join.len() {
        let missing = groups::missing_users(tx, join)?;
        if !missing.is_empty() {
            return Err(missing_members(&missing));
        }
    }
    seats::membership_changed(tx, plan, actor, &g.display_name, &added, &removed)
}
