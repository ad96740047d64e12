use sea_orm::entity::prelude::*;

use crate::enums::Role;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased; unique across accounts.
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    /// Set for staff only.
    pub region_id: Option<i64>,
    /// Set for partner members only.
    pub partner_id: Option<i64>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub deactivated_at: Option<DateTimeUtc>,
    pub last_login_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// Everything but the password hash, which must never reach a log.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("user::Model")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password_hash", &"…")
            .field("role", &self.role)
            .field("region_id", &self.region_id)
            .field("partner_id", &self.partner_id)
            .field("active", &self.active)
            .field("created_at", &self.created_at)
            .field("deactivated_at", &self.deactivated_at)
            .field("last_login_at", &self.last_login_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_password_hash() {
        let account = Model {
            id: 7,
            email: "nia@charity.example.org".to_owned(),
            name: "Nia".to_owned(),
            password_hash: "$argon2id$v=19$secret-hash".to_owned(),
            role: Role::Staff,
            region_id: Some(5),
            partner_id: None,
            active: true,
            created_at: chrono::DateTime::UNIX_EPOCH,
            deactivated_at: None,
            last_login_at: None,
        };
        let printed = format!("{account:?}");
        assert!(!printed.contains("argon2"), "{printed}");
        assert!(printed.contains("nia@charity.example.org"));
    }
}
