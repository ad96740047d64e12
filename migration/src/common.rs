//! Helpers shared by the migrations.

use sea_orm_migration::prelude::*;

/// A CHECK that `column` holds one of `values`.
pub fn one_of(column: impl IntoIden, values: &[&str]) -> SimpleExpr {
    Expr::col(column.into_iden()).is_in(values.iter().copied())
}

/// Creates plain (non-unique) indexes on `table`, each over the columns listed.
pub async fn create_indexes<T: IntoIden + Copy, C: IntoIden + Copy>(
    manager: &SchemaManager<'_>,
    table: T,
    indexes: &[(&str, &[C])],
) -> Result<(), DbErr> {
    for (name, columns) in indexes {
        let mut index = Index::create();
        index.name(*name).table(table);
        for column in *columns {
            index.col(*column);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

/// A foreign key from `from` to `to`.
pub fn references<T: IntoIden, C: IntoIden, U: IntoIden, D: IntoIden>(
    from: (T, C),
    to: (U, D),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}
