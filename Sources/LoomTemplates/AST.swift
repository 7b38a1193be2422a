/// Expressions of the template language.
indirect enum Expr {
    case literal(Value)
    case name(String, line: Int)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case attribute(Expr, String, line: Int)
    case item(Expr, Expr, line: Int)
    case slice(Expr, Expr?, Expr?, Expr?, line: Int)
    case call(Expr, [Expr], [(String, Expr)], line: Int)
    case filter(Expr, String, [Expr], [(String, Expr)], line: Int)
    case test(Expr, String, [Expr], [(String, Expr)], negated: Bool, line: Int)
    case unary(String, Expr, line: Int)
    case binary(String, Expr, Expr, line: Int)
    case compare(Expr, [(String, Expr)], line: Int)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case concat([Expr], line: Int)
    case conditional(Expr, Expr, Expr?)
}

/// Assignment targets of `set`, `for` and `with`.
indirect enum Target {
    case name(String)
    case attribute(String, String)
    case tuple([Target])
}

/// Statements (nodes of the template body).
indirect enum Node {
    case text(String)
    case output(Expr, line: Int)
    case ifNode([(Expr, [Node])], [Node]?, line: Int)
    case forNode(Target, Expr, filter: Expr?, body: [Node], elseBody: [Node]?, recursive: Bool, line: Int)
    case set(Target, Expr, line: Int)
    case setBlock(Target, filters: [(String, [Expr], [(String, Expr)])], body: [Node], line: Int)
    case macro(MacroDefinition, line: Int)
    case callBlock(Expr, callerParams: [(String, Expr?)], body: [Node], line: Int)
    case filterBlock([(String, [Expr], [(String, Expr)])], body: [Node], line: Int)
    case with([(Target, Expr)], body: [Node], line: Int)
    case generation([Node], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
}

/// A `{% macro %}` definition.
final class MacroDefinition {
    let name: String
    let params: [(String, Expr?)]
    let body: [Node]

    init(name: String, params: [(String, Expr?)], body: [Node]) {
        self.name = name
        self.params = params
        self.body = body
    }
}
