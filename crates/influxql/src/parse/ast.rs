//! The statements and expressions InfluxQL queries are parsed into.

/// One statement of a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Box<Select>),
    ShowDatabases,
    ShowMeasurements {
        on: Option<String>,
        /// `WITH MEASUREMENT = name | =~ /re/`.
        with: Option<NameMatch>,
        condition: Option<Expr>,
        limit: usize,
        offset: usize,
    },
    ShowTagKeys {
        on: Option<String>,
        from: Vec<Source>,
        condition: Option<Expr>,
        limit: usize,
        offset: usize,
    },
    ShowTagValues {
        on: Option<String>,
        from: Vec<Source>,
        key: KeyMatch,
        condition: Option<Expr>,
        limit: usize,
        offset: usize,
    },
    ShowFieldKeys {
        on: Option<String>,
        from: Vec<Source>,
        limit: usize,
        offset: usize,
    },
    ShowSeries {
        on: Option<String>,
        from: Vec<Source>,
        condition: Option<Expr>,
        limit: usize,
        offset: usize,
    },
    ShowRetentionPolicies {
        on: Option<String>,
    },
    CreateDatabase {
        name: String,
    },
    DropDatabase {
        name: String,
    },
    /// `DROP SERIES` (every time) and `DELETE` (a time range may be given).
    Delete {
        from: Vec<Source>,
        condition: Option<Expr>,
        /// `DROP SERIES` may not name a time; `DELETE` may.
        drop_series: bool,
    },
    DropMeasurement {
        name: String,
    },
    /// A statement InfluxDB has that Strata does not run (users, continuous queries, ...):
    /// named by its leading keywords.
    Unsupported(String),
}

/// `SELECT ...`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub fields: Vec<Field>,
    pub sources: Vec<Source>,
    pub condition: Option<Expr>,
    pub group_by: GroupBy,
    pub fill: Fill,
    pub order_desc: bool,
    /// 0: none.
    pub limit: usize,
    pub offset: usize,
    pub slimit: usize,
    pub soffset: usize,
    /// `tz('...')` (only `UTC` is accepted by the planner).
    pub tz: Option<String>,
}

/// A selected expression and its alias.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub expr: Expr,
    pub alias: Option<String>,
}

/// A `FROM` source.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub database: Option<String>,
    pub retention_policy: Option<String>,
    pub name: NameMatch,
}

/// A measurement named, or matched by a regex.
#[derive(Debug, Clone, PartialEq)]
pub enum NameMatch {
    Name(String),
    Regex(String),
}

/// `WITH KEY ...` of `SHOW TAG VALUES`.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyMatch {
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    Regex(String),
    NotRegex(String),
}

/// `GROUP BY`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupBy {
    /// `time(interval[, offset])` in nanoseconds.
    pub interval: Option<(i64, i64)>,
    pub tags: Vec<String>,
    /// `GROUP BY *`.
    pub all_tags: bool,
    /// Tag keys matched by `/regex/`.
    pub tag_regexes: Vec<String>,
}

/// `fill(...)`: the JSON query's fill, one implementation for both.
pub use strata_query::fill::Fill;

/// Binary operators, by precedence from loosest: `OR`, `AND`, comparisons, `+ - | ^`,
/// `* / % &`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Match,
    NotMatch,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    BitXor,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::Match
                | BinOp::NotMatch
        )
    }

    pub fn text(self) -> &'static str {
        match self {
            BinOp::Or => "OR",
            BinOp::And => "AND",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Match => "=~",
            BinOp::NotMatch => "!~",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
        }
    }
}

/// A `::type` cast on a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cast {
    Field,
    Tag,
    Float,
    Integer,
    String,
    Boolean,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A field or tag name (`time` included).
    Var {
        name: String,
        cast: Option<Cast>,
    },
    /// `*` (optionally `*::field` / `*::tag`).
    Wildcard(Option<Cast>),
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Regex(String),
    /// A duration literal, in nanoseconds.
    Duration(i64),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Paren(Box<Expr>),
}

impl Expr {
    pub fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
        Expr::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        }
    }

    /// The expression without enclosing parentheses.
    pub fn unparen(&self) -> &Expr {
        match self {
            Expr::Paren(e) => e.unparen(),
            e => e,
        }
    }

    /// The name InfluxDB gives the column of this expression without an alias: a variable's
    /// name, a call's name (`mean`), for a binary expression the names of its sides joined
    /// by `_` (`mean_mean`).
    pub fn column_name(&self) -> String {
        match self {
            Expr::Var { name, .. } => name.clone(),
            Expr::Call { name, args } => {
                // Nested calls are named by the outer one (`derivative(mean(x))` -> derivative).
                let _ = args;
                name.to_ascii_lowercase()
            }
            Expr::Binary { lhs, rhs, .. } => {
                let (l, r) = (lhs.column_name(), rhs.column_name());
                match (l.is_empty(), r.is_empty()) {
                    (true, _) => r,
                    (_, true) => l,
                    _ => format!("{l}_{r}"),
                }
            }
            Expr::Paren(e) => e.column_name(),
            _ => String::new(),
        }
    }
}
