//! Rows as a viewer may see them. A slice's access rule is the only way to build a
//! [`Visible`] value, and the GraphQL types that show a record hold one, so no path to a record
//! (a top-level query, a nested field, a connection, a subscription event) can show a row its
//! rule has not let through, or more of it than the rule granted.

use super::Viewer;

/// Decides whether a viewer may see one row, and how much of it.
pub trait AccessRule {
    type Row;
    /// What the rule needs to know beyond the row (its organisation's region, the time now, …),
    /// read by the slice that owns the rule.
    type Facts: ?Sized;
    /// What the viewer may see of a row they may see at all (contact details, history, …).
    type Grant: Copy;

    /// `None` when the viewer may not see the row at all.
    fn grant(viewer: &Viewer, row: &Self::Row, facts: &Self::Facts) -> Option<Self::Grant>;
}

/// A row its access rule let the viewer see, with what it granted.
pub struct Visible<R: AccessRule> {
    row: R::Row,
    grant: R::Grant,
}

impl<R: AccessRule> Visible<R> {
    /// The row as `viewer` may see it, or `None`.
    pub fn check(viewer: &Viewer, row: R::Row, facts: &R::Facts) -> Option<Self> {
        let grant = R::grant(viewer, &row, facts)?;
        Some(Self { row, grant })
    }

    pub fn row(&self) -> &R::Row {
        &self.row
    }

    pub fn grant(&self) -> R::Grant {
        self.grant
    }
}

impl<R: AccessRule> Clone for Visible<R>
where
    R::Row: Clone,
{
    fn clone(&self) -> Self {
        Self {
            row: self.row.clone(),
            grant: self.grant,
        }
    }
}
