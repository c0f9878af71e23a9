//! Parser tests: the statements Grafana and Telegraf send, precedence, sources, errors with
//! positions, the `SHOW` and administrative statements.

use super::ast::*;
use super::parser::{parse_expr, parse_query};

fn one(q: &str) -> Statement {
    let mut v = parse_query(q).unwrap();
    assert_eq!(v.len(), 1);
    v.remove(0)
}

#[test]
fn parses_grafana_panel_queries() {
    let Statement::Select(s) = one(
        "SELECT mean(\"usage_user\") AS u FROM \"telegraf\".\"autogen\".\"cpu\" WHERE (\"host\" =~ /^a$/) AND time >= 1700000000000ms and time <= 1700003600000ms GROUP BY time(10s, 5s), \"host\" fill(null) ORDER BY time DESC LIMIT 10 SLIMIT 2",
    ) else {
        panic!()
    };
    assert_eq!(s.fields[0].alias.as_deref(), Some("u"));
    assert_eq!(s.fields[0].expr.column_name(), "mean");
    assert_eq!(s.sources[0].database.as_deref(), Some("telegraf"));
    assert_eq!(s.sources[0].retention_policy.as_deref(), Some("autogen"));
    assert_eq!(s.sources[0].name, NameMatch::Name("cpu".into()));
    assert_eq!(s.group_by.interval, Some((10_000_000_000, 5_000_000_000)));
    assert_eq!(s.group_by.tags, ["host"]);
    assert!(s.order_desc);
    assert_eq!((s.limit, s.slimit), (10, 2));
}

#[test]
fn precedence_and_sources() {
    assert_eq!(
        parse_expr("a + b * 2 > 3 AND c = 'x' OR d").unwrap(),
        Expr::binary(
            BinOp::Or,
            Expr::binary(
                BinOp::And,
                Expr::binary(
                    BinOp::Gt,
                    Expr::binary(
                        BinOp::Add,
                        Expr::Var {
                            name: "a".into(),
                            cast: None
                        },
                        Expr::binary(
                            BinOp::Mul,
                            Expr::Var {
                                name: "b".into(),
                                cast: None
                            },
                            Expr::Int(2)
                        )
                    ),
                    Expr::Int(3)
                ),
                Expr::binary(
                    BinOp::Eq,
                    Expr::Var {
                        name: "c".into(),
                        cast: None
                    },
                    Expr::Str("x".into())
                )
            ),
            Expr::Var {
                name: "d".into(),
                cast: None
            }
        )
    );
    let Statement::Select(s) = one("select * from db1..cpu, /^m.*/") else {
        panic!()
    };
    assert_eq!(s.sources[0].database.as_deref(), Some("db1"));
    assert_eq!(s.sources[0].retention_policy, None);
    assert_eq!(s.sources[1].name, NameMatch::Regex("^m.*".into()));
}

#[test]
fn errors_name_the_position() {
    let e = parse_query("SELEC * FROM cpu").unwrap_err();
    assert_eq!(
        e.to_string(),
        "found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1"
    );
    let e = parse_query("SELECT FROM cpu").unwrap_err();
    assert_eq!(e.pos.col, 8);
    assert!(parse_query("SELECT a FROM m GROUP BY time(10m").is_err());
    assert!(parse_query(&"(".repeat(10_000)).is_err());
    assert!(parse_query(&format!("SELECT {}1 FROM m", "(".repeat(10_000))).is_err());
}

#[test]
fn show_and_admin_statements() {
    assert_eq!(
        parse_query("show databases; SHOW MEASUREMENTS WITH MEASUREMENT =~ /c.*/ LIMIT 1")
            .unwrap()
            .len(),
        2
    );
    assert!(matches!(
        one("SHOW TAG VALUES FROM cpu WITH KEY IN (host, \"region\") WHERE host = 'a'"),
        Statement::ShowTagValues { key: KeyMatch::In(k), .. } if k.len() == 2
    ));
    assert_eq!(
        one("CREATE USER x WITH PASSWORD 'y'"),
        Statement::Unsupported("CREATE USER".into())
    );
    assert_eq!(
        one("create database \"telegraf\""),
        Statement::CreateDatabase {
            name: "telegraf".into()
        }
    );
    assert!(matches!(
        one("DROP SERIES FROM cpu WHERE host='c'"),
        Statement::Delete {
            drop_series: true,
            ..
        }
    ));
}
