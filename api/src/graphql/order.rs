//! Puts the fields of every object in an answer in the order the query asked for them.
//!
//! The GraphQL specification orders an object's fields as the query selects them (fragments
//! included, each field where it first appears). async-graphql resolves a selection's fields
//! concurrently and writes each one as it finishes, so a slow field could come last. Answers
//! are put back in the query's order before they are sent.

use async_graphql::{
    Name, Value,
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

/// Reorders `data`, the answer to the operation `operation` (or the only one) of `document`.
pub fn in_query_order(data: &mut Value, document: &ExecutableDocument, operation: Option<&str>) {
    let chosen = match (&document.operations, operation) {
        (DocumentOperations::Single(only), _) => Some(only),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) => operations.values().next(),
    };
    if let Some(chosen) = chosen {
        reorder(data, &[&chosen.node.selection_set.node], document);
    }
}

/// The keys a set of selections gives an object, in order, each with the selections below it.
type Keys<'d> = Vec<(Name, Vec<&'d SelectionSet>)>;

/// Orders an object (or each object of a list) by `selections`, which together select its
/// fields, then each field's value by the selections of that field. The keys are worked out
/// once for all the objects of a list.
fn reorder(value: &mut Value, selections: &[&SelectionSet], document: &ExecutableDocument) {
    if !matches!(value, Value::List(_) | Value::Object(_)) {
        return;
    }
    let mut keys = Vec::new();
    for selection in selections {
        collect(selection, document, &mut keys);
    }
    reorder_by(value, &keys, document);
}

fn reorder_by(value: &mut Value, keys: &Keys<'_>, document: &ExecutableDocument) {
    match value {
        Value::List(items) => {
            for item in items {
                reorder_by(item, keys, document);
            }
        }
        Value::Object(fields) => {
            let in_order = fields.len() == keys.len()
                && fields
                    .keys()
                    .zip(keys)
                    .all(|(field, (key, _))| field == key);
            if !in_order {
                let mut unordered = std::mem::take(fields);
                for (key, _) in keys {
                    if let Some(field) = unordered.swap_remove(key) {
                        fields.insert(key.clone(), field);
                    }
                }
                fields.extend(unordered);
            }
            for (key, below) in keys {
                if let Some(field) = fields.get_mut(key) {
                    reorder(field, below, document);
                }
            }
        }
        _ => {}
    }
}

/// The keys `selection` gives an object, in order, each with the selections below it.
fn collect<'d>(selection: &'d SelectionSet, document: &'d ExecutableDocument, keys: &mut Keys<'d>) {
    for item in &selection.items {
        match &item.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.clone();
                let below = &field.node.selection_set.node;
                match keys.iter_mut().find(|(seen, _)| *seen == key) {
                    Some((_, sets)) => sets.push(below),
                    None => keys.push((key, vec![below])),
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(&fragment.node.selection_set.node, document, keys);
                }
            }
            Selection::InlineFragment(inline) => {
                collect(&inline.node.selection_set.node, document, keys);
            }
        }
    }
}
