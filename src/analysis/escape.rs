//! One escape analysis for every rule: does a value, or anything derived from it that can hold a
//! reference, survive a region of code (a loop iteration, a function)?
//!
//! The walk starts at the value's bindings and follows each read upward through the expression
//! around it. Some parents carry the value on (a field, an element, `&x`, a conversion, a
//! composite literal, `append`, a call whose result may reference its argument), some consume it
//! (comparisons, arithmetic, `len`, a value of a type that cannot hold a reference), and some let
//! it out (`return`, a channel send, a goroutine, a closure that may run later, a store into a
//! variable declared outside the region, a callee that keeps it). Values it is stored into inside
//! the region are followed in turn. Along the way it classifies how the region uses the value, for
//! rules that need to know whether the code "works with" a resource.

use crate::syntax::strip_parens;
use std::collections::{HashSet, VecDeque};

use tree_sitter::Node;

use super::callee::{Call, Callee};
use super::scope::{BindingId, BindingKind, Scopes};
use super::{FileAnalysis, Retention, Site};
use crate::fix::ReasonCode;
use crate::syntax::names::{contains, expression_list, root_identifier};
use crate::syntax::{ancestors, is_function};

/// The code a value must not outlive.
#[derive(Clone, Copy, Debug)]
pub struct Region<'t> {
    /// A loop body, or a function (declaration or literal).
    pub node: Node<'t>,
    pub kind: RegionKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    Iteration,
    Function,
}

impl RegionKind {
    fn outside(self) -> &'static str {
        match self {
            RegionKind::Iteration => "outside the loop",
            RegionKind::Function => "outside the function",
        }
    }
}

/// How a callee whose effect on an argument is unknown is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownCallee {
    /// It may keep the argument: an escape (the default, for resources).
    MayRetain,
    /// It is done with the argument when it returns (Go's convention for contexts and
    /// transactions passed to helpers); only its result is followed.
    Finishes,
}

/// A rule's choices for one question.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'p> {
    pub unknown_callee: UnknownCallee,
    /// Whether strings derived from the value still name it (a server's URL, a socket path):
    /// then they are followed like references.
    pub strings_reference: bool,
    /// Whether `return` lets the value out; `false` records it as a result (summaries).
    pub return_escapes: bool,
    /// Methods that start background work with what they are given (`cmd.Start()`, `g.Go(f)`).
    pub background_methods: &'p [&'p str],
    /// Whether a function literal capturing the value escapes unless it is called on the spot
    /// or deferred (for values whose users may run after the function: contexts,
    /// transactions); otherwise the literal is followed like any derived value.
    pub closures_escape: bool,
}

impl Policy<'static> {
    /// Resources: whatever cannot be ruled out keeps them.
    pub const RESOURCE: Policy<'static> = Policy {
        unknown_callee: UnknownCallee::MayRetain,
        strings_reference: false,
        return_escapes: true,
        background_methods: &[],
        closures_escape: false,
    };

    /// Values handed to helpers by convention (contexts, transactions): a callee deferfix cannot
    /// see is done with them when it returns, but closures that may run later are not.
    pub const HANDED_TO_HELPERS: Policy<'static> = Policy {
        unknown_callee: UnknownCallee::Finishes,
        strings_reference: false,
        return_escapes: true,
        background_methods: &["Start", "Go"],
        closures_escape: true,
    };
}

/// How the value escapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EscapeKind {
    Returned,
    Sent,
    Goroutine,
    /// Captured by a function literal that may run after the region.
    Closure,
    Panic,
    /// Assigned to a variable declared outside the region.
    StoredOuter(String),
    /// Assigned to a package-level variable.
    StoredPackage(String),
    /// Stored into a parameter or the receiver (summaries: the caller's memory).
    StoredParam {
        name: String,
        receiver: bool,
    },
    /// Stored through an expression deferfix cannot follow.
    StoredElsewhere,
    /// A callee keeps it.
    Kept {
        callee: String,
        site: Site,
    },
    UnknownCallee(String),
    OuterReceiver {
        receiver: String,
        call: String,
    },
    Background(String),
}

/// The first way found in which the value outlives the region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escape {
    pub kind: EscapeKind,
    /// The value that escapes (`f`, or a value derived from it).
    pub value: String,
    /// The value the trace started from, when the escaping one is derived from it.
    pub derived_from: Option<String>,
    /// `line 12` / `tracker.go:12`.
    pub location: String,
    pub region: RegionKind,
}

impl Escape {
    pub fn code(&self) -> ReasonCode {
        match self.kind {
            EscapeKind::UnknownCallee(_) => ReasonCode::UnknownCallee,
            EscapeKind::OuterReceiver { .. } => ReasonCode::OuterReceiver,
            _ => ReasonCode::Escapes,
        }
    }

    /// A sentence naming the value, what happens to it and where.
    pub fn describe(&self) -> String {
        let value = match &self.derived_from {
            Some(root) => format!("`{}` (derived from `{root}`)", self.value),
            None => format!("`{}`", self.value),
        };
        let at = &self.location;
        let outside = self.region.outside();
        match &self.kind {
            EscapeKind::Returned => format!("{value} is returned ({at})"),
            EscapeKind::Sent => format!("{value} is sent on a channel ({at})"),
            EscapeKind::Goroutine => format!("{value} is used by a goroutine ({at})"),
            EscapeKind::Closure => {
                format!("{value} is captured by a function literal that may run later ({at})")
            }
            EscapeKind::Panic => format!("{value} is passed to panic ({at})"),
            EscapeKind::StoredOuter(target) => {
                format!("{value} is assigned to `{target}`, declared {outside} ({at})")
            }
            EscapeKind::StoredPackage(target) => {
                format!("{value} is assigned to the package-level variable `{target}` ({at})")
            }
            EscapeKind::StoredParam { name, .. } => {
                format!("{value} is stored into `{name}` ({at})")
            }
            EscapeKind::StoredElsewhere => {
                format!("{value} is stored where deferfix cannot follow it ({at})")
            }
            EscapeKind::Kept { callee, site } => {
                let location = site
                    .location
                    .as_ref()
                    .map_or(String::new(), |location| format!(" ({location})"));
                format!(
                    "{value} is passed to `{callee}` ({at}), which {}{location}",
                    site.description
                )
            }
            EscapeKind::UnknownCallee(callee) => {
                format!("{value} is passed to `{callee}` ({at}), which deferfix cannot see into")
            }
            EscapeKind::OuterReceiver { receiver, call } => format!(
                "{value} is passed to `{call}` ({at}); `{receiver}` is declared {outside} and may keep it"
            ),
            EscapeKind::Background(call) => format!(
                "{value} is handed to `{call}` ({at}), which starts work that may outlive the function"
            ),
        }
    }

    /// What a callee does with its parameter, for the caller's message.
    pub fn as_site(&self) -> Site {
        let description = match &self.kind {
            EscapeKind::Returned => "returns it".to_owned(),
            EscapeKind::Sent => "sends it on a channel".to_owned(),
            EscapeKind::Goroutine => "hands it to a goroutine".to_owned(),
            EscapeKind::Closure => "captures it in a function literal".to_owned(),
            EscapeKind::Panic => "panics with it".to_owned(),
            EscapeKind::StoredOuter(target) => format!("stores it in `{target}`"),
            EscapeKind::StoredPackage(target) => {
                format!("stores it in the package variable `{target}`")
            }
            EscapeKind::StoredParam { name, .. } => format!("stores it in `{name}`"),
            EscapeKind::StoredElsewhere => "stores it where deferfix cannot follow".to_owned(),
            // A chain of calls is told by its first and last links.
            EscapeKind::Kept { site, .. } if site.description.starts_with("passes it to") => {
                return site.clone();
            }
            EscapeKind::Kept { callee, site } => {
                format!("passes it to `{callee}`, which {}", site.description)
            }
            EscapeKind::UnknownCallee(callee) => {
                format!("passes it to `{callee}`, which deferfix cannot see into")
            }
            EscapeKind::OuterReceiver { call, .. } => format!("passes it to `{call}`"),
            EscapeKind::Background(call) => format!("hands it to `{call}`"),
        };
        Site {
            description,
            location: Some(self.location.clone()),
        }
    }
}

/// How the region uses the traced value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseKind {
    /// Data is read from it, or a call works with it and uses the result.
    Consumed,
    /// A method is called only for its effect on the value (its results are discarded).
    SideEffect,
    /// The release being judged.
    Release,
    Other,
}

#[derive(Clone, Debug)]
pub struct Use {
    pub kind: UseKind,
    /// The code of the use, for messages.
    pub code: String,
    pub location: String,
}

#[derive(Debug, Default)]
pub struct Trace {
    /// Every binding followed: the roots and what was derived from them.
    pub tracked: Vec<BindingId>,
    pub escape: Option<Escape>,
    pub uses: Vec<Use>,
    /// A `return` hands it to the caller (when the policy does not call that an escape).
    pub returned: bool,
}

/// Traces the values of `roots` (and whatever is derived from them) through `region`. Uses
/// inside `release` (the defer being judged) count as the release.
pub fn trace<'t>(
    analysis: &FileAnalysis<'t>,
    scopes: &Scopes<'t>,
    region: Region<'t>,
    roots: &[BindingId],
    policy: &Policy,
    release: Option<Node<'t>>,
) -> Trace {
    let mut walker = Walker {
        analysis,
        scopes,
        region,
        policy,
        release,
        tracked: Vec::new(),
        root_of: Vec::new(),
        queue: VecDeque::new(),
        closures: HashSet::new(),
        trace: Trace::default(),
    };
    for root in roots {
        walker.track(*root, None);
    }
    walker.run();
    walker.trace.tracked = walker.tracked;
    walker.trace
}

/// How a call's results are used.
enum ResultUse {
    Nothing,
    ErrorsOnly,
    Value,
}

enum Step<'t> {
    /// The expression carries the value on: keep walking up from it.
    Continue(Node<'t>),
    Stop,
}

struct Walker<'w, 't> {
    analysis: &'w FileAnalysis<'t>,
    scopes: &'w Scopes<'t>,
    region: Region<'t>,
    policy: &'w Policy<'w>,
    release: Option<Node<'t>>,
    tracked: Vec<BindingId>,
    /// For each tracked binding, the root it was derived from.
    root_of: Vec<(BindingId, Option<BindingId>)>,
    queue: VecDeque<BindingId>,
    closures: HashSet<usize>,
    trace: Trace,
}

impl<'w, 't> Walker<'w, 't> {
    fn run(&mut self) {
        while let Some(binding) = self.queue.pop_front() {
            let reads: Vec<Node<'t>> = self.scopes.reads(binding).to_vec();
            for read in reads {
                if self.trace.escape.is_some() {
                    return;
                }
                if !contains(self.region.node, read) {
                    continue;
                }
                self.capture(read, binding);
                self.follow(read, binding);
            }
        }
    }

    fn track(&mut self, binding: BindingId, from: Option<BindingId>) {
        if self.tracked.contains(&binding) {
            return;
        }
        let root = from.map(|from| self.root(from).unwrap_or(from));
        self.tracked.push(binding);
        self.root_of.push((binding, root));
        self.queue.push_back(binding);
    }

    fn root(&self, binding: BindingId) -> Option<BindingId> {
        self.root_of
            .iter()
            .find(|(tracked, _)| *tracked == binding)
            .and_then(|(_, root)| *root)
    }

    fn escape(&mut self, kind: EscapeKind, binding: BindingId, at: Node<'t>) {
        if self.trace.escape.is_some() {
            return;
        }
        let name = self.scopes.binding(binding).name.to_owned();
        let derived_from = self
            .root(binding)
            .map(|root| self.scopes.binding(root).name.to_owned());
        self.trace.escape = Some(Escape {
            kind,
            value: name,
            derived_from,
            location: self.analysis.location(at),
            region: self.region.kind,
        });
    }

    fn record(&mut self, kind: UseKind, node: Node<'t>) {
        let kind = if self.release.is_some_and(|release| contains(release, node)) {
            UseKind::Release
        } else {
            kind
        };
        self.trace.uses.push(Use {
            kind,
            code: crate::text::shown(self.analysis.text_of(node)),
            location: self.analysis.location(node),
        });
    }

    /// A read inside a function literal of the region captures the binding: the literal itself
    /// carries the value wherever it goes.
    fn capture(&mut self, read: Node<'t>, binding: BindingId) {
        let declared_in = self.scopes.binding(binding).function;
        let literals: Vec<Node<'t>> = ancestors(read)
            .take_while(|node| node.id() != declared_in.id())
            .filter(|node| node.kind() == "func_literal")
            .filter(|node| contains(self.region.node, *node))
            .collect();
        for literal in literals.into_iter().rev() {
            if self.closures.insert(literal.id()) {
                self.follow_closure(literal, binding);
            }
        }
    }

    fn follow_closure(&mut self, literal: Node<'t>, binding: BindingId) {
        match crate::syntax::call_of(literal) {
            // Run on the spot or deferred within the region: it does not outlive it, unless a
            // goroutine runs it.
            Some(call) if in_statement(call, "go_statement") => {
                self.escape(EscapeKind::Goroutine, binding, literal)
            }
            Some(_) => {}
            None if self.policy.closures_escape => {
                self.escape(EscapeKind::Closure, binding, literal)
            }
            None => self.follow(literal, binding),
        }
    }

    fn follow(&mut self, start: Node<'t>, binding: BindingId) {
        let mut expr = start;
        while self.trace.escape.is_none() {
            let Some(parent) = expr.parent() else {
                return;
            };
            if !contains(self.region.node, parent) || parent.id() == self.region.node.id() {
                return;
            }
            match self.step(expr, parent, binding) {
                Step::Continue(next) => expr = next,
                Step::Stop => return,
            }
        }
    }

    /// What the parent does with an expression that carries the value.
    fn step(&mut self, expr: Node<'t>, parent: Node<'t>, binding: BindingId) -> Step<'t> {
        let is = |field: &str| {
            parent
                .child_by_field_name(field)
                .is_some_and(|child| child.id() == expr.id())
        };
        match parent.kind() {
            "parenthesized_expression"
            | "variadic_argument"
            | "type_conversion_expression"
            | "type_assertion_expression"
            | "literal_element"
            | "keyed_element"
            | "literal_value"
            | "composite_literal" => self.carry(parent),
            "selector_expression" if is("operand") => self.selected(parent, binding),
            "index_expression" if is("operand") => {
                if is_store_target(parent) {
                    Step::Stop
                } else {
                    self.carry(parent)
                }
            }
            "index_expression" => {
                // A map key: stored into the map when the element is written.
                if is_store_target(parent)
                    && let Some(map) = parent.child_by_field_name("operand")
                {
                    self.store(map, binding, parent);
                }
                Step::Stop
            }
            "slice_expression" if is("operand") => self.carry(parent),
            "unary_expression" | "binary_expression" => self.operated(parent),
            "call_expression" if is("function") => {
                // Calling a function value that carries it: a goroutine outlives the region.
                if in_statement(parent, "go_statement") {
                    self.escape(EscapeKind::Goroutine, binding, parent);
                }
                self.record(UseKind::Other, parent);
                Step::Stop
            }
            "argument_list" => {
                let Some(call) = parent.parent() else {
                    return Step::Stop;
                };
                let index = named_position(parent, expr);
                self.argument(call, index, expr, binding)
            }
            "expression_list" => self.listed(expr, parent, binding),
            _ => self.statement_step(expr, parent, binding),
        }
    }

    /// `x.f` or `x.M(…)` with the value as `x`.
    fn selected(&mut self, selector: Node<'t>, binding: BindingId) -> Step<'t> {
        match crate::syntax::call_of(selector) {
            Some(call) => self.method_call(call, binding),
            None => {
                // Reading a field is working with the value.
                self.record(UseKind::Other, selector);
                self.carry(selector)
            }
        }
    }

    /// An operator applied to the value: `&x`, `*x` and `<-x` carry it; `+` may join strings
    /// that name it; the others compute a number or a boolean.
    fn operated(&mut self, expression: Node<'t>) -> Step<'t> {
        let operator = expression
            .child_by_field_name("operator")
            .map_or("", |op| self.analysis.text_of(op));
        let carries = match expression.kind() {
            "unary_expression" => matches!(operator, "&" | "*" | "<-"),
            _ => operator == "+" && self.policy.strings_reference,
        };
        if carries {
            self.carry(expression)
        } else {
            Step::Stop
        }
    }

    /// What a statement (or another non-expression parent) does with the value.
    fn statement_step(&mut self, expr: Node<'t>, parent: Node<'t>, binding: BindingId) -> Step<'t> {
        let is = |field: &str| {
            parent
                .child_by_field_name(field)
                .is_some_and(|child| child.id() == expr.id())
        };
        match parent.kind() {
            "assignment_statement" | "short_var_declaration" | "var_spec" => {
                // A lone expression (no expression_list) on the right.
                if is("right") || is("value") {
                    self.assigned(parent, 0, binding, expr)
                } else {
                    Step::Stop
                }
            }
            "return_statement" => self.returned(parent, binding),
            "send_statement" => {
                if is("value") {
                    self.escape(EscapeKind::Sent, binding, parent);
                }
                Step::Stop
            }
            "go_statement" => {
                self.escape(EscapeKind::Goroutine, binding, parent);
                Step::Stop
            }
            "range_clause" if is("right") => {
                self.ranged(parent, binding);
                Step::Stop
            }
            "type_switch_statement" | "receive_statement" if is("value") || is("right") => {
                for id in self.declared_by(parent) {
                    self.track(id, Some(binding));
                }
                Step::Stop
            }
            "defer_statement"
            | "expression_statement"
            | "if_statement"
            | "for_clause"
            | "for_statement"
            | "expression_switch_statement"
            | "expression_case"
            | "inc_statement"
            | "dec_statement"
            | "block"
            | "statement_list"
            | "labeled_statement"
            | "func_literal"
            | "slice_expression"
            | "selector_expression" => Step::Stop,
            // Anything else carries the value on, which is the cautious reading.
            _ => Step::Continue(parent),
        }
    }

    /// The parent carries the value, unless its type cannot hold a reference.
    fn carry(&self, parent: Node<'t>) -> Step<'t> {
        let ty = self.analysis.type_of(parent);
        let names_it = self.policy.strings_reference && holds_strings(&ty);
        if self.analysis.holds_no_reference(&ty) && !names_it {
            Step::Stop
        } else {
            Step::Continue(parent)
        }
    }

    fn listed(&mut self, expr: Node<'t>, list: Node<'t>, binding: BindingId) -> Step<'t> {
        let Some(statement) = list.parent() else {
            return Step::Stop;
        };
        let index = named_position(list, expr);
        let is_field = |field: &str| {
            statement
                .child_by_field_name(field)
                .is_some_and(|child| child.id() == list.id())
        };
        match statement.kind() {
            "assignment_statement" | "short_var_declaration" | "var_spec"
                if is_field("right") || is_field("value") =>
            {
                self.assigned(statement, index, binding, expr)
            }
            "return_statement" => self.returned(statement, binding),
            "range_clause"
            | "receive_statement"
            | "assignment_statement"
            | "short_var_declaration" => Step::Stop,
            _ => Step::Continue(list),
        }
    }

    /// The value is on the right of an assignment, at position `index`.
    fn assigned(
        &mut self,
        statement: Node<'t>,
        index: usize,
        binding: BindingId,
        value: Node<'t>,
    ) -> Step<'t> {
        let operator = statement
            .child_by_field_name("operator")
            .map_or("=", |op| self.analysis.text_of(op));
        if statement.kind() == "assignment_statement" && operator != "=" {
            // `total += n` computes a number or string.
            if !self.policy.strings_reference {
                return Step::Stop;
            }
        }
        let targets: Vec<Node<'t>> = match statement.kind() {
            "var_spec" => {
                let mut cursor = statement.walk();
                statement
                    .children_by_field_name("name", &mut cursor)
                    .collect()
            }
            _ => statement
                .child_by_field_name("left")
                .map(expression_list)
                .unwrap_or_default(),
        };
        let values = statement
            .child_by_field_name("right")
            .or_else(|| statement.child_by_field_name("value"))
            .map(expression_list)
            .unwrap_or_default();
        let chosen: Vec<Node<'t>> = if values.len() == 1 && targets.len() > 1 {
            // `a, b := f(x)`: each result may carry it, unless its type cannot.
            targets
                .into_iter()
                .enumerate()
                .filter(|(position, _)| {
                    let ty = self.analysis.type_of(value).element(*position);
                    !self.analysis.holds_no_reference(&ty)
                })
                .map(|(_, target)| target)
                .collect()
        } else {
            targets.get(index).copied().into_iter().collect()
        };
        for target in chosen {
            self.store(target, binding, statement);
        }
        Step::Stop
    }

    /// The value is written into `target`.
    fn store(&mut self, target: Node<'t>, binding: BindingId, at: Node<'t>) {
        let target = strip_parens(target);
        if target.kind() == "identifier" {
            let name = self.analysis.text_of(target);
            if name == "_" {
                return;
            }
            match self.scopes.resolve(target) {
                Some(id) if self.declared_inside(id) => {
                    if self.analysis.may_carry(self.scopes, id) {
                        self.track(id, Some(binding));
                    }
                }
                Some(_) => self.escape(EscapeKind::StoredOuter(name.to_owned()), binding, at),
                None => self.escape(EscapeKind::StoredPackage(name.to_owned()), binding, at),
            }
            return;
        }
        let Some(root) = root_identifier(target) else {
            self.escape(EscapeKind::StoredElsewhere, binding, at);
            return;
        };
        let name = self.analysis.text_of(root).to_owned();
        match self.scopes.resolve(root) {
            Some(id) if self.declared_inside(id) => {
                let declared = self.scopes.binding(id);
                let is_signature = matches!(
                    declared.kind,
                    BindingKind::Parameter | BindingKind::Receiver
                ) && declared.function.id() == self.region.node.id();
                if is_signature {
                    let receiver = declared.kind == BindingKind::Receiver;
                    self.escape(EscapeKind::StoredParam { name, receiver }, binding, at);
                } else {
                    self.track(id, Some(binding));
                }
            }
            Some(_) => self.escape(EscapeKind::StoredOuter(name), binding, at),
            None => self.escape(EscapeKind::StoredPackage(name), binding, at),
        }
    }

    fn declared_inside(&self, id: BindingId) -> bool {
        let declared = self.scopes.binding(id);
        match self.region.kind {
            RegionKind::Iteration => contains(self.region.node, declared.ident),
            RegionKind::Function => {
                declared.function.id() == self.region.node.id()
                    || contains(self.region.node, declared.ident)
            }
        }
    }

    fn declared_by(&self, statement: Node<'t>) -> Vec<BindingId> {
        self.scopes
            .bindings()
            .filter(|(_, declared)| declared.declaration.id() == statement.id())
            .map(|(id, _)| id)
            .collect()
    }

    fn ranged(&mut self, clause: Node<'t>, binding: BindingId) {
        let declared = self.declared_by(clause);
        if !declared.is_empty() {
            for id in declared {
                if self.analysis.may_carry(self.scopes, id) {
                    self.track(id, Some(binding));
                }
            }
            return;
        }
        // `for k, v = range x` writes existing variables.
        if let Some(left) = clause.child_by_field_name("left") {
            for target in expression_list(left) {
                let ty = self.analysis.type_of(target);
                if !self.analysis.holds_no_reference(&ty) {
                    self.store(target, binding, clause);
                }
            }
        }
    }

    fn returned(&mut self, statement: Node<'t>, binding: BindingId) -> Step<'t> {
        // A return inside a function literal of the region returns from the literal.
        let function = ancestors(statement).find(|node| is_function(*node));
        if let Some(literal) = function.filter(|f| f.id() != self.region.node.id())
            && literal.kind() == "func_literal"
            && contains(self.region.node, literal)
        {
            return match crate::syntax::call_of(literal) {
                Some(call) => self.carry(call),
                None => Step::Stop,
            };
        }
        if self.policy.return_escapes {
            self.escape(EscapeKind::Returned, binding, statement);
        } else {
            self.trace.returned = true;
        }
        Step::Stop
    }

    /// `x.M(…)` with the value as `x` (or derived from it).
    fn method_call(&mut self, call: Node<'t>, binding: BindingId) -> Step<'t> {
        if in_statement(call, "go_statement") {
            self.escape(EscapeKind::Goroutine, binding, call);
            return Step::Stop;
        }
        // The release being judged: what it does with the value is the point.
        if self.release.is_some_and(|release| contains(release, call)) {
            self.record(UseKind::Release, call);
            return Step::Stop;
        }
        let resolved = self.analysis.call(call);
        // Another deferred release of the value (`defer nc.Close()` after `nc` is reassigned)
        // is part of what the fix moves, not work done with it.
        if in_statement(call, "defer_statement") && is_release_call(&resolved, call, self.analysis)
        {
            self.record(UseKind::Release, call);
            return Step::Stop;
        }
        // Only a modelled read (`rows.Next()`, `r.ReadString('\n')`) shows that the code reads
        // from the value: a method deferfix does not know may be a getter (`GetClientID()`)
        // however its result is used. One called only for its effect, or only checked for an
        // error, acts on the value.
        let kind = if resolved.reads_receiver() {
            UseKind::Consumed
        } else if resolved.releases_receiver() {
            UseKind::Other
        } else {
            match self.result_use(call) {
                ResultUse::Value => UseKind::Other,
                ResultUse::Nothing | ResultUse::ErrorsOnly => UseKind::SideEffect,
            }
        };
        self.record(kind, call);
        let method = call
            .child_by_field_name("function")
            .and_then(|f| f.child_by_field_name("field"))
            .map_or("", |field| self.analysis.text_of(field));
        if self.policy.background_methods.contains(&method) {
            self.escape(EscapeKind::Background(resolved.name.clone()), binding, call);
            return Step::Stop;
        }
        match resolved.receiver_retention(self.analysis) {
            Retention::Escapes(site) => self.kept(resolved.name.clone(), site, binding, call),
            Retention::Result | Retention::Unknown => self.carry(call),
            Retention::None | Retention::Receiver => Step::Stop,
        }
    }

    /// What the code does with a call's results.
    fn result_use(&self, call: Node<'t>) -> ResultUse {
        let text = self.analysis.text();
        if is_discarded(call, text) {
            return ResultUse::Nothing;
        }
        let Some(list) = call
            .parent()
            .filter(|parent| parent.kind() == "expression_list")
        else {
            return ResultUse::Value;
        };
        let Some(statement) = list.parent().filter(|statement| {
            matches!(
                statement.kind(),
                "assignment_statement" | "short_var_declaration"
            ) && statement
                .child_by_field_name("right")
                .is_some_and(|right| right.id() == list.id())
        }) else {
            return ResultUse::Value;
        };
        let targets = statement
            .child_by_field_name("left")
            .map(expression_list)
            .unwrap_or_default();
        let used: Vec<Node<'t>> = targets
            .into_iter()
            .filter(|target| &text[target.byte_range()] != "_")
            .collect();
        let is_error = |target: &Node<'t>| {
            target.kind() == "identifier"
                && self
                    .scopes
                    .resolve(*target)
                    .is_some_and(|id| self.analysis.is_error_variable(self.scopes, id))
        };
        if used.is_empty() {
            ResultUse::Nothing
        } else if used.iter().all(is_error) {
            ResultUse::ErrorsOnly
        } else {
            ResultUse::Value
        }
    }

    /// `f(…, x, …)` with the value as argument `index`.
    fn argument(
        &mut self,
        call: Node<'t>,
        index: usize,
        argument: Node<'t>,
        binding: BindingId,
    ) -> Step<'t> {
        if in_statement(call, "go_statement") {
            self.escape(EscapeKind::Goroutine, binding, call);
            return Step::Stop;
        }
        let resolved = self.analysis.call(call);
        let kind = if resolved.reads_argument(index) {
            UseKind::Consumed
        } else {
            UseKind::Other
        };
        self.record(kind, argument);
        if let Some(method) = call
            .child_by_field_name("function")
            .and_then(|f| f.child_by_field_name("field"))
            .map(|field| self.analysis.text_of(field))
            && self.policy.background_methods.contains(&method)
        {
            self.escape(EscapeKind::Background(resolved.name.clone()), binding, call);
            return Step::Stop;
        }
        match &resolved.callee {
            Callee::Builtin("panic") => {
                self.escape(EscapeKind::Panic, binding, call);
                return Step::Stop;
            }
            Callee::Builtin("copy") => {
                if index == 1
                    && let Some(destination) = first_argument(call)
                {
                    self.store(destination, binding, call);
                }
                return Step::Stop;
            }
            Callee::Literal(literal) => {
                if let Some(parameter) = self.literal_parameter(*literal, index) {
                    self.track(parameter, Some(binding));
                }
                return Step::Stop;
            }
            _ => {}
        }
        match resolved.argument_retention(self.analysis, index) {
            Retention::None => Step::Stop,
            Retention::Result => self.carry(call),
            Retention::Receiver => {
                self.keep_in_receiver(&resolved, binding, call, true);
                Step::Stop
            }
            Retention::Escapes(site) => self.kept(resolved.name.clone(), site, binding, call),
            Retention::Unknown => self.unknown_callee(&resolved, binding, call),
        }
    }

    /// A callee keeps the value.
    fn kept(&mut self, callee: String, site: Site, binding: BindingId, at: Node<'t>) -> Step<'t> {
        self.escape(EscapeKind::Kept { callee, site }, binding, at);
        Step::Stop
    }

    fn unknown_callee(&mut self, call: &Call<'t>, binding: BindingId, at: Node<'t>) -> Step<'t> {
        match self.policy.unknown_callee {
            UnknownCallee::Finishes => self.carry(at),
            UnknownCallee::MayRetain => {
                if call.receiver.is_some() {
                    if self.keep_in_receiver(call, binding, at, false) {
                        return self.carry(at);
                    }
                    return Step::Stop;
                }
                self.escape(EscapeKind::UnknownCallee(call.name.clone()), binding, at);
                Step::Stop
            }
        }
    }

    /// The receiver of a method call keeps (`known`) or may keep the value: follow the receiver
    /// when it is a value of the region, else the value escapes into something from outside.
    /// Returns whether the walk goes on.
    fn keep_in_receiver(
        &mut self,
        call: &Call<'t>,
        binding: BindingId,
        at: Node<'t>,
        known: bool,
    ) -> bool {
        let root = call.receiver.and_then(root_identifier);
        let receiver = call.receiver.map_or(String::new(), |receiver| {
            self.analysis.text_of(receiver).to_owned()
        });
        match root.and_then(|root| self.scopes.resolve(root)) {
            Some(id) if self.declared_inside(id) && !self.is_signature_binding(id) => {
                self.track(id, Some(binding));
                true
            }
            Some(id) if self.is_signature_binding(id) => {
                let declared = self.scopes.binding(id);
                let kind = if known {
                    EscapeKind::StoredParam {
                        name: declared.name.to_owned(),
                        receiver: declared.kind == BindingKind::Receiver,
                    }
                } else {
                    EscapeKind::UnknownCallee(call.name.clone())
                };
                self.escape(kind, binding, at);
                false
            }
            _ => {
                self.escape(
                    EscapeKind::OuterReceiver {
                        receiver,
                        call: call.name.clone(),
                    },
                    binding,
                    at,
                );
                false
            }
        }
    }

    /// A parameter or receiver of the function the region is (summaries).
    fn is_signature_binding(&self, id: BindingId) -> bool {
        let declared = self.scopes.binding(id);
        self.region.kind == RegionKind::Function
            && declared.function.id() == self.region.node.id()
            && matches!(
                declared.kind,
                BindingKind::Parameter | BindingKind::Receiver
            )
    }

    /// The binding of a function literal's parameter that receives argument `index`.
    fn literal_parameter(&self, literal: Node<'t>, index: usize) -> Option<BindingId> {
        let mut parameters: Vec<BindingId> = self
            .scopes
            .bindings()
            .filter(|(_, b)| b.function.id() == literal.id() && b.kind == BindingKind::Parameter)
            .map(|(id, _)| id)
            .collect();
        parameters.sort_by_key(|id| self.scopes.binding(*id).ident.start_byte());
        parameters.get(index).copied()
    }
}

/// Whether values of `ty` are or hold strings (which may name a resource: a URL, a path).
fn holds_strings(ty: &super::types::Type) -> bool {
    use super::types::Type;
    match ty {
        Type::String => true,
        Type::Slice(element) | Type::Array(element) | Type::Chan(element) => holds_strings(element),
        Type::Map(key, value) => holds_strings(key) || holds_strings(value),
        Type::Tuple(types) => types.iter().any(holds_strings),
        _ => false,
    }
}

/// Whether a call is the whole of a statement of the given kind (`go f()`, `defer f()`).
fn in_statement(call: Node, kind: &str) -> bool {
    call.parent().is_some_and(|parent| parent.kind() == kind)
}

/// Whether a call releases its receiver: a modelled release, or a method named like one.
fn is_release_call(call: &Call, node: Node, analysis: &FileAnalysis) -> bool {
    if let Callee::Model(model) = &call.callee {
        return model.release;
    }
    node.child_by_field_name("function")
        .and_then(|function| function.child_by_field_name("field"))
        .is_some_and(|field| super::resource::RELEASE_METHODS.contains(&analysis.text_of(field)))
}

/// Whether a call's results are dropped: a statement on its own (deferred or started with `go`
/// too), or assigned only to `_`.
pub fn is_discarded(call: Node, text: &str) -> bool {
    let Some(parent) = call.parent() else {
        return false;
    };
    match parent.kind() {
        "expression_statement" | "defer_statement" | "go_statement" => true,
        "expression_list" => parent.parent().is_some_and(|statement| {
            statement.kind() == "assignment_statement"
                && statement.child_by_field_name("left").is_some_and(|left| {
                    expression_list(left)
                        .iter()
                        .all(|target| &text[target.byte_range()] == "_")
                })
        }),
        _ => false,
    }
}

/// The position of `child` among the named children of `list` (comments skipped).
fn named_position(list: Node, child: Node) -> usize {
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|node| node.kind() != "comment")
        .position(|node| node.id() == child.id())
        .unwrap_or(0)
}

fn first_argument(call: Node) -> Option<Node> {
    let arguments = call.child_by_field_name("arguments")?;
    let mut cursor = arguments.walk();
    arguments
        .named_children(&mut cursor)
        .find(|node| node.kind() != "comment")
}

/// Whether an expression is written to: the left side of an assignment or an `x++`/`x--`.
fn is_store_target(expression: Node) -> bool {
    ancestors(expression)
        .take_while(|ancestor| {
            matches!(
                ancestor.kind(),
                "expression_list"
                    | "assignment_statement"
                    | "inc_statement"
                    | "dec_statement"
                    | "index_expression"
                    | "selector_expression"
                    | "parenthesized_expression"
            )
        })
        .any(|ancestor| match ancestor.kind() {
            "inc_statement" | "dec_statement" => true,
            "assignment_statement" => ancestor
                .child_by_field_name("left")
                .is_some_and(|left| contains(left, expression)),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{find, with_analysis};
    use super::*;

    /// Traces `f`, declared in the first loop body of `body`, through that body.
    fn escape_of(declarations: &str, body: &str) -> Option<String> {
        let text = format!(
            "package p\n\nimport (\n\t\"bufio\"\n\t\"io\"\n\t\"os\"\n\t\"sync\"\n)\n\n{declarations}\n\nfunc run(paths []string, dst io.Writer, pool *sync.Pool, other *thing) error {{\n\tvar outer *os.File\n\tfor _, p := range paths {{\n\t\tf, err := os.Open(p)\n\t\tif err != nil {{\n\t\t\treturn err\n\t\t}}\n\t\tdefer f.Close()\n{body}\n\t}}\n\treturn nil\n}}\n"
        );
        with_analysis(&text, |analysis| {
            let root = analysis.file.tree.root_node();
            let for_loop = find(
                root,
                &text,
                "for_statement",
                &text[text.find("for _, p").unwrap()
                    ..text.rfind("\n\t}\n\treturn nil").unwrap() + 3],
            );
            let body_block = for_loop.child_by_field_name("body").unwrap();
            let f = crate::syntax::descendants(body_block, |_| false)
                .into_iter()
                .find(|node| node.kind() == "identifier" && analysis.text_of(*node) == "f")
                .unwrap();
            let (scopes, id) = analysis.resolve(f).unwrap();
            let region = Region {
                node: body_block,
                kind: RegionKind::Iteration,
            };
            let defer = find(root, &text, "defer_statement", "defer f.Close()");
            trace(
                analysis,
                &scopes,
                region,
                &[id],
                &Policy::RESOURCE,
                Some(defer),
            )
            .escape
            .map(|escape| format!("{}: {}", escape.code().as_str(), escape.describe()))
        })
    }

    const THING: &str = "type thing struct{ items []*os.File }\n\nvar tracked []*os.File\n\nfunc track(x *os.File) { tracked = append(tracked, x) }\n\nfunc (t *thing) add(x *os.File) { t.items = append(t.items, x) }\n\nfunc name(x *os.File) string { return x.Name() }";

    #[test]
    fn values_that_stay_in_the_iteration_do_not_escape() {
        for body in [
            "\t\tio.Copy(dst, f)",
            "\t\tdata, _ := io.ReadAll(f)\n\t\t_ = data",
            "\t\tn, err := f.Read(nil)\n\t\t_, _ = n, err",
            "\t\tr := bufio.NewReader(f)\n\t\tline, _ := r.ReadString('\\n')\n\t\touter2 := line\n\t\t_ = outer2",
            "\t\ts := name(f)\n\t\t_ = s",
            "\t\tfunc() { f.Sync() }()",
            "\t\tif f != nil && len(paths) > 0 {\n\t\t}",
        ] {
            assert_eq!(escape_of(THING, body), None, "{body}");
        }
    }

    #[test]
    fn escapes_name_the_value_and_the_line() {
        let cases = [
            (
                "\t\ttracked = append(tracked, f)",
                "escapes: `f` is assigned to the package-level variable `tracked` (line 28)",
            ),
            (
                "\t\touter = f",
                "escapes: `f` is assigned to `outer`, declared outside the loop (line 28)",
            ),
            (
                "\t\ttrack(f)",
                "escapes: `f` is passed to `track` (line 28), which stores it in the package variable `tracked` (line 14)",
            ),
            (
                "\t\tgo func() { f.Sync() }()",
                "escapes: `f` is used by a goroutine (line 28)",
            ),
            (
                "\t\tr := bufio.NewReader(f)\n\t\treturn use(r)",
                "unknown-callee: `r` (derived from `f`) is passed to `use` (line 29), which deferfix cannot see into",
            ),
            (
                "\t\tpool.Put(f)",
                "escapes: `f` is passed to `pool.Put` (line 28), which keeps it beyond the call",
            ),
            (
                "\t\tother.add(f)",
                "outer-receiver: `f` is passed to `other.add` (line 28); `other` is declared outside the loop and may keep it",
            ),
            (
                "\t\tkeep := func() { f.Sync() }\n\t\tgo keep()",
                "escapes: `keep` (derived from `f`) is used by a goroutine (line 29)",
            ),
            (
                "\t\tvar m map[*os.File]bool\n\t\tm[f] = true\n\t\touter = m[nil:0]",
                "escapes: `m` (derived from `f`) is assigned to `outer`, declared outside the loop (line 30)",
            ),
            (
                "\t\tch := make(chan *os.File, 1)\n\t\tch <- f",
                "escapes: `f` is sent on a channel (line 29)",
            ),
            (
                "\t\tif p == \"\" {\n\t\t\treturn fmt(f)\n\t\t}",
                "unknown-callee: `f` is passed to `fmt` (line 29), which deferfix cannot see into",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(escape_of(THING, body).as_deref(), Some(expected), "{body}");
        }
    }
}
