//! The resource's schema, the six changes it goes through, and the reader
//! rules that decide whether a body written with one schema can be read with
//! another.
//!
//! The rules are the ones protobuf's language guide ("Updating a message
//! type") and JSON Schema evolution practice (Confluent Schema Registry's
//! compatibility types) agree on, reduced to what this resource needs: a
//! reader needs every field it requires, with the type it expects; a field it
//! does not know is ignored by a *tolerant* reader (protobuf keeps it as an
//! unknown field; Fowler's Tolerant Reader) and refused by a *strict* one
//! (JSON Schema's `additionalProperties: false`); an enum value it does not
//! know is read as "unknown" by a tolerant reader (proto3 keeps the number)
//! and refused by a strict one. A rename is a removal plus an addition, and a
//! type change is never compatible here (protobuf allows a few integer
//! widenings; JSON does not distinguish them).

use std::fmt;

/// The type of a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    Integer,
    Text,
    /// The order's status, one of the schema's enum values.
    Status,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Integer => "integer",
            FieldType::Text => "string",
            FieldType::Status => "enum",
        }
    }
}

/// One field of the order resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldType,
    /// A writer always sends it and a reader refuses a body without it.
    pub required: bool,
}

/// The order resource's schema at one version: its fields, and the values
/// its status enum may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub fields: Vec<Field>,
    pub statuses: Vec<&'static str>,
}

impl Schema {
    /// Version 1.0: `{id: integer, amount: integer, currency: string,
    /// status: pending | paid}`, all required.
    pub fn initial() -> Schema {
        let field = |name, kind| Field {
            name,
            kind,
            required: true,
        };
        Schema {
            fields: vec![
                field("id", FieldType::Integer),
                field("amount", FieldType::Integer),
                field("currency", FieldType::Text),
                field("status", FieldType::Status),
            ],
            statuses: vec!["pending", "paid"],
        }
    }

    /// The schema after the first `changes` changes of [`EVOLUTION`] (more
    /// than six: all six).
    pub fn after(changes: usize) -> Schema {
        EVOLUTION
            .iter()
            .take(changes)
            .fold(Schema::initial(), |schema, change| change.apply(&schema))
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
}

/// One change to the schema, as a server team makes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    AddOptionalField {
        name: &'static str,
        kind: FieldType,
    },
    AddEnumValue {
        value: &'static str,
    },
    AddRequiredField {
        name: &'static str,
        kind: FieldType,
    },
    RenameField {
        from: &'static str,
        to: &'static str,
    },
    ChangeType {
        name: &'static str,
        to: FieldType,
    },
    RemoveField {
        name: &'static str,
    },
}

/// The changes the server releases, in order: the six kinds the topic
/// compares, interleaved so that compatible changes follow breaking ones.
pub const EVOLUTION: [Change; 6] = [
    Change::AddOptionalField {
        name: "note",
        kind: FieldType::Text,
    },
    Change::AddRequiredField {
        name: "customer",
        kind: FieldType::Text,
    },
    Change::AddEnumValue { value: "refunded" },
    Change::RenameField {
        from: "amount",
        to: "total",
    },
    Change::ChangeType {
        name: "id",
        to: FieldType::Text,
    },
    Change::RemoveField { name: "currency" },
];

impl Change {
    /// `schema` with this change made; a change that does not apply (its
    /// field is missing or already there) leaves it as it is.
    pub fn apply(&self, schema: &Schema) -> Schema {
        let mut next = schema.clone();
        match *self {
            Change::AddOptionalField { name, kind } | Change::AddRequiredField { name, kind } => {
                if next.field(name).is_none() {
                    next.fields.push(Field {
                        name,
                        kind,
                        required: matches!(self, Change::AddRequiredField { .. }),
                    });
                }
            }
            Change::AddEnumValue { value } => {
                if !next.statuses.contains(&value) {
                    next.statuses.push(value);
                }
            }
            Change::RenameField { from, to } => {
                if next.field(to).is_none() {
                    for field in next.fields.iter_mut().filter(|f| f.name == from) {
                        field.name = to;
                    }
                }
            }
            Change::ChangeType { name, to } => {
                for field in next.fields.iter_mut().filter(|f| f.name == name) {
                    field.kind = to;
                }
            }
            Change::RemoveField { name } => next.fields.retain(|field| field.name != name),
        }
        next
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::AddOptionalField { name, kind } => {
                write!(f, "add optional field {name}: {}", kind.as_str())
            }
            Change::AddEnumValue { value } => write!(f, "add enum value status {value}"),
            Change::AddRequiredField { name, kind } => {
                write!(f, "add required field {name}: {}", kind.as_str())
            }
            Change::RenameField { from, to } => write!(f, "rename {from} to {to}"),
            Change::ChangeType { name, to } => write!(f, "change {name} to {}", to.as_str()),
            Change::RemoveField { name } => write!(f, "remove field {name}"),
        }
    }
}

/// Why a reader cannot read a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Break {
    /// The reader requires a field the body lacks (or may lack).
    MissingField(&'static str),
    /// The field's value has a type the reader does not expect.
    WrongType {
        field: &'static str,
        found: FieldType,
    },
    /// A strict reader met a field it does not know.
    UnknownField(&'static str),
    /// A strict reader met an enum value it does not know.
    UnknownValue(&'static str),
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::MissingField(name) => write!(f, "missing required field {name}"),
            Break::WrongType { field, found } => {
                write!(f, "{field} is a{} {}", article(found), found.as_str())
            }
            Break::UnknownField(name) => write!(f, "unknown field {name}"),
            Break::UnknownValue(value) => write!(f, "unknown status {value}"),
        }
    }
}

fn article(kind: &FieldType) -> &'static str {
    match kind {
        FieldType::Integer | FieldType::Status => "n",
        FieldType::Text => "",
    }
}

/// One body on the wire: the fields present with their types, and the
/// status value sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Body {
    pub fields: Vec<(&'static str, FieldType)>,
    pub status: &'static str,
}

impl Body {
    /// The body a writer with `schema` sends for order `order`: every
    /// required field, optional fields for every other order, and a status
    /// picked by the order number among the schema's values (so new values
    /// do appear).
    pub fn write(schema: &Schema, order: u64) -> Body {
        let fields = schema
            .fields
            .iter()
            .filter(|field| field.required || order.is_multiple_of(2))
            .map(|field| (field.name, field.kind))
            .collect();
        let status = schema.statuses[(order % schema.statuses.len() as u64) as usize];
        Body { fields, status }
    }
}

/// Reads `body` with `reader`, tolerantly (ignoring what it does not know)
/// or strictly; the first rule it breaks, if any.
pub fn read(reader: &Schema, body: &Body, tolerant: bool) -> Result<(), Break> {
    for &(name, found) in &body.fields {
        match reader.field(name) {
            Some(field) if field.kind != found => {
                return Err(Break::WrongType { field: name, found })
            }
            Some(_) => {}
            None if tolerant => {}
            None => return Err(Break::UnknownField(name)),
        }
    }
    if let Some(field) = reader
        .fields
        .iter()
        .find(|field| field.required && !body.fields.iter().any(|(name, _)| *name == field.name))
    {
        return Err(Break::MissingField(field.name));
    }
    let carries_status = body
        .fields
        .iter()
        .any(|(_, kind)| *kind == FieldType::Status);
    if carries_status && !tolerant && !reader.statuses.contains(&body.status) {
        return Err(Break::UnknownValue(body.status));
    }
    Ok(())
}

/// Whether every body a writer with `writer` may send can be read with
/// `reader`: the worst case over bodies, decided from the two schemas alone.
pub fn compatible(reader: &Schema, writer: &Schema, tolerant: bool) -> Result<(), Break> {
    for field in &writer.fields {
        match reader.field(field.name) {
            Some(known) if known.kind != field.kind => {
                return Err(Break::WrongType {
                    field: field.name,
                    found: field.kind,
                })
            }
            Some(_) => {}
            None if tolerant => {}
            None => return Err(Break::UnknownField(field.name)),
        }
    }
    if let Some(field) = reader.fields.iter().find(|field| {
        field.required
            && !writer
                .field(field.name)
                .is_some_and(|written| written.required)
    }) {
        return Err(Break::MissingField(field.name));
    }
    let has_status = writer.fields.iter().any(|f| f.kind == FieldType::Status);
    if has_status && !tolerant {
        if let Some(value) = writer
            .statuses
            .iter()
            .find(|v| !reader.statuses.contains(v))
        {
            return Err(Break::UnknownValue(value));
        }
    }
    Ok(())
}

/// What a change does to the clients of the version it lands in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compatibility {
    /// The new server reads requests written by clients of the old schema
    /// (backward: new reader, old writer). The server reads tolerantly.
    pub backward: Result<(), Break>,
    /// Clients of the old schema that read tolerantly read the new server's
    /// responses (forward: old reader, new writer).
    pub forward_tolerant: Result<(), Break>,
    /// The same for clients that refuse what they do not know.
    pub forward_strict: Result<(), Break>,
}

impl Compatibility {
    /// Change number `index` of [`EVOLUTION`] (from 0).
    pub fn of(index: usize) -> Compatibility {
        let old = Schema::after(index);
        let new = Schema::after(index + 1);
        Compatibility {
            backward: compatible(&new, &old, true),
            forward_tolerant: compatible(&old, &new, true),
            forward_strict: compatible(&old, &new, false),
        }
    }

    /// Semantic versioning's rule for an API whose contract is the tolerant
    /// reader: a change that breaks a client reading as the contract says, in
    /// either direction, needs a new major version.
    pub fn needs_major(&self) -> bool {
        self.backward.is_err() || self.forward_tolerant.is_err()
    }
}

/// A version of the API: major.minor, and how many changes of
/// [`EVOLUTION`] its schema has (so anyone can compute the schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub changes: u32,
}

impl Version {
    pub const FIRST: Version = Version {
        major: 1,
        minor: 0,
        changes: 0,
    };

    pub fn schema(&self) -> Schema {
        Schema::after(self.changes as usize)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}
