//! SCIM Users: create, read, replace, patch and delete, each changing request one write
//! transaction with its seat sync (`service::seats`) and audit events.

use super::*;

pub(super) fn create_user(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let doc = resource::canonical_user(&json_body(ctx.req)?)?;
    let projection = projection_of(ctx)?;
    let actor = actor(ctx);
    // A refused re-creation still commits its audit record: the write answers Ok(Err(refusal)).
    let (body, version, id) = app.store.write(|tx| {
        let plan = Plan::load(tx)?;
        plan.require_scim_writes()?;
        let mut u = UserRow::new(util::uuid()?, doc, util::now_rfc3339_secs());
        seats::set_keys(&mut u);
        plan.check_domain(tx, &u)?;
        if let Some(existing) = users::by_user_name(tx, &u.user_name)? {
            return Ok(Err(seats::refuse_duplicate(tx, &actor, &existing)?));
        }
        seats::on_create(tx, &plan, &actor, &mut u)?;
        u.seq = users::insert(tx, &u)?;
        save_indexes(tx, &u, None)?;
        Ok(Ok((user_text(app, tx, &plan, &u, &projection)?, u.version, u.id)))
    })??;
    Ok(resource_text(201, body, version, Some(user_location(app, &id))))
}

pub(super) fn get_user(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let id = c.param(0).to_string();
    let id = id.as_str();
    let w = &mut *c.w;
    let projection = projection_of(ctx)?;
    let u = visible_user(&w.read, id)?;
    if not_modified(ctx, u.version) {
        return Ok(Response::empty(304).header("ETag", version_tag(u.version)));
    }
    let (conn, plan) = w.plan()?;
    Ok(resource_text(200, user_text(app, conn, plan, &u, &projection)?, u.version, None))
}

/// PUT and PATCH share this: the new document replaces the old, then the seat rules run.
pub(super) fn update_user(
    app: &App,
    ctx: &Ctx<'_>,
    id: &str,
    edit: impl FnOnce(&Value) -> Result<Value>,
) -> Result<Response> {
    let projection = projection_of(ctx)?;
    let actor = actor(ctx);
    let (body, version) = app.store.write(|tx| {
        let plan = Plan::load(tx)?;
        let before = visible_user(tx, id)?;
        check_if_match(ctx, before.version)?;
        plan.require_scim_writes()?;
        let mut u = before.with_doc(edit(&before.doc)?);
        seats::set_keys(&mut u);
        if !u.user_name.eq_ignore_ascii_case(&before.user_name)
            && let Some(existing) = users::by_user_name(tx, &u.user_name)?.filter(|e| e.id != u.id)
        {
            return Err(seats::duplicate_user_name(&existing));
        }
        // The address checked against the validated domains is the primary email (the userName only
        // when there is no email): check it again whenever it may have changed.
        if u.primary_email != before.primary_email || !u.user_name.eq_ignore_ascii_case(&before.user_name) {
            plan.check_domain(tx, &u)?;
        }
        let updated = seats::on_update(tx, &plan, &actor, &before, &mut u)?;
        u.version = before.version + 1;
        u.last_modified = util::now_rfc3339_secs();
        if updated == seats::Updated::Kept {
            users::update(tx, &u)?;
            save_indexes(tx, &u, Some(&before))?;
        }
        // A user removed for good (active=false, deprovision = delete) is answered with its last
        // representation, `active: false`, as the IdP expects after a deactivation.
        Ok((user_text(app, tx, &plan, &u, &projection)?, u.version))
    })?;
    Ok(resource_text(200, body, version, None))
}

pub(super) fn replace_user(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let id = c.param(0).to_string();
    let id = id.as_str();
    let body = json_body(ctx.req)?;
    update_user(app, ctx, id, |_| resource::canonical_user(&body))
}

pub(super) fn patch_user(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let id = c.param(0).to_string();
    let id = id.as_str();
    let ops = patch::parse_ops::<serde_json::Value>(body_text(ctx.req)?)?;
    update_user(app, ctx, id, |old| {
        let mut doc = old.clone();
        patch::apply_user(&mut doc, &ops)?;
        Ok(doc)
    })
}

pub(super) fn delete_user(c: &mut Call<'_, '_>) -> Result<Response> {
    let (app, ctx) = (c.app, c.ctx);
    let id = c.param(0).to_string();
    let id = id.as_str();
    let actor = actor(ctx);
    app.store.write(|tx| {
        let plan = Plan::load(tx)?;
        let mut u = visible_user(tx, id)?;
        check_if_match(ctx, u.version)?;
        plan.require_scim_writes()?;
        seats::on_scim_delete(tx, &plan, &actor, &mut u)
    })?;
    Ok(Response::empty(204))
}
