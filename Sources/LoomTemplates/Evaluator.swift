import Foundation

/// Walks the parsed template: statements write to the output stack, expressions evaluate to `Value`s.
final class Evaluator {
    var output: OutputStack
    var spans: [Range<Int>] = []
    let now: Date
    var line = 0
    private var callDepth = 0
    static let maximumCallDepth = 256
    static let maximumRange = 100_000

    enum Flow { case normal, breakLoop, continueLoop }

    init(now: Date, outputLimit: Int) {
        self.now = now
        self.output = OutputStack(limitBytes: outputLimit)
    }

    // MARK: statements

    func execute(_ nodes: [Node], _ scope: Scope) throws -> Flow {
        for node in nodes {
            let flow = try execute(node, scope)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ node: Node, _ scope: Scope) throws -> Flow {
        switch node {
        case .text(let t):
            try output.write(t)
        case .output(let e, let l):
            line = l
            try output.write(pythonStr(try eval(e, scope)))
        case .ifNode(let branches, let elseBody, let l):
            for (condition, body) in branches {
                line = l
                if try eval(condition, scope).truthy { return try execute(body, scope) }
            }
            if let elseBody { return try execute(elseBody, scope) }
        case .forNode(let target, let iterable, let filter, let body, let elseBody, _, let l):
            line = l
            try runFor(target, iterable, filter, body, elseBody, scope, line: l)
        case .set(let target, let e, let l):
            line = l
            try assign(target, try eval(e, scope), scope)
        case .setBlock(let target, let filters, let body, let l):
            output.push()
            _ = try execute(body, scope)
            var value: Value = .string(output.pop())
            line = l
            for (name, args, kwargs) in filters { value = try applyFilter(name, value, args, kwargs, scope) }
            try assign(target, value, scope)
        case .macro(let definition, _):
            scope.set(definition.name, .function(makeMacro(definition, scope, caller: nil)))
        case .callBlock(let call, let callerParams, let body, let l):
            line = l
            guard case .call(let callee, let args, let kwargs, _) = call else { break }
            let callerDefinition = MacroDefinition(name: "caller", params: callerParams, body: body)
            let caller = makeMacro(callerDefinition, scope, caller: nil)
            let function = try eval(callee, scope)
            var evaluatedKwargs = try kwargs.map { ($0.0, try eval($0.1, scope)) }
            evaluatedKwargs.append(("caller", .function(caller)))
            let result = try callValue(function, try args.map { try eval($0, scope) }, evaluatedKwargs)
            try output.write(pythonStr(result))
        case .filterBlock(let filters, let body, let l):
            output.push()
            _ = try execute(body, scope)
            var value: Value = .string(output.pop())
            line = l
            for (name, args, kwargs) in filters { value = try applyFilter(name, value, args, kwargs, scope) }
            try output.write(pythonStr(value))
        case .with(let assignments, let body, _):
            let inner = Scope(parent: scope)
            for (target, e) in assignments { try assign(target, try eval(e, scope), inner) }
            return try execute(body, inner)
        case .generation(let body, _):
            output.push()
            _ = try execute(body, scope)
            let text = output.pop()
            let start = output.rootScalars
            spans.append(start..<(start + text.unicodeScalars.count))
            try output.write(text)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    private func runFor(_ target: Target, _ iterable: Expr, _ filter: Expr?, _ body: [Node], _ elseBody: [Node]?,
                        _ scope: Scope, line l: Int) throws {
        let source = try eval(iterable, scope)
        if case .undefined(let u) = source, u.kind == "SecurityError" { throw u.error }
        var items = try source.iterate()
        if let filter {
            items = try items.filter { item in
                let s = Scope(parent: scope)
                try assign(target, item, s)
                return try eval(filter, s).truthy
            }
        }
        // `loop.depth` only grows in recursive loops (`loop(...)` calls), which are not supported: always 1 here
        let state = LoopState(items: items, depth0: 0)
        for (i, item) in items.enumerated() {
            state.index0 = i
            let s = Scope(parent: scope)
            s.set("loop", .loop(state))
            try assign(target, item, s)
            let flow = try execute(body, s)
            if flow == .breakLoop { break }
        }
        if items.isEmpty, let elseBody {
            line = l
            _ = try execute(elseBody, scope)
        }
    }

    func assign(_ target: Target, _ value: Value, _ scope: Scope) throws {
        switch target {
        case .name(let n):
            scope.set(n, value)
        case .attribute(let object, let attribute):
            guard case .namespace(let ns)? = scope.lookup(object) else {
                throw JinjaError("TemplateRuntimeError", "cannot assign attribute on non-namespace object")
            }
            try checkNamespaceName(attribute)
            ns.attributes.set(.string(attribute), value)
        case .tuple(let targets):
            let items = try value.iterate()
            guard items.count == targets.count else {
                throw JinjaError.value(items.count > targets.count
                    ? "too many values to unpack (expected \(targets.count))"
                    : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v, scope) }
        }
    }

    func checkNamespaceName(_ name: String) throws {
        if name.hasPrefix("_") {
            throw JinjaError.security("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(name)'. Please rename the attribute.")
        }
    }

    private func makeMacro(_ definition: MacroDefinition, _ closure: Scope, caller: Function?) -> Function {
        Function(definition.name) { [unowned self] args, kwargs in
            let s = Scope(parent: closure)
            var remaining = kwargs
            for (i, (name, defaultValue)) in definition.params.enumerated() {
                if i < args.count {
                    s.set(name, args[i])
                } else if let k = remaining.firstIndex(where: { $0.0 == name }) {
                    s.set(name, remaining[k].1)
                    remaining.remove(at: k)
                } else if let defaultValue {
                    s.set(name, try self.eval(defaultValue, s))
                } else {
                    s.set(name, .undefined(Undefined(message: "parameter '\(name)' was not provided")))
                }
            }
            if args.count > definition.params.count {
                throw JinjaError.type("macro '\(definition.name)' takes not more than \(definition.params.count) argument(s)")
            }
            if let k = remaining.firstIndex(where: { $0.0 == "caller" }) {
                s.set("caller", remaining[k].1)
                remaining.remove(at: k)
            }
            if let extra = remaining.first {
                throw JinjaError.type("macro '\(definition.name)' takes no keyword argument '\(extra.0)'")
            }
            self.callDepth += 1
            defer { self.callDepth -= 1 }
            if self.callDepth > Evaluator.maximumCallDepth {
                throw JinjaError("RecursionError", "maximum recursion depth exceeded")
            }
            self.output.push()
            do {
                _ = try self.execute(definition.body, s)
            } catch {
                _ = self.output.pop()
                throw error
            }
            return .string(self.output.pop())
        }
    }

    // MARK: expressions

    func eval(_ expr: Expr, _ scope: Scope) throws -> Value {
        switch expr {
        case .literal(let v):
            return v
        case .name(let n, _):
            return scope.lookup(n) ?? Undefined.named(n)
        case .list(let items):
            return .list(try items.map { try eval($0, scope) })
        case .tuple(let items):
            return .tuple(try items.map { try eval($0, scope) })
        case .dict(let pairs):
            var d = PyDict()
            for (k, v) in pairs { d.set(try eval(k, scope), try eval(v, scope)) }
            return .dict(d)
        case .attribute(let object, let name, _):
            return try getAttribute(try eval(object, scope), name)
        case .item(let object, let key, _):
            return try getItem(try eval(object, scope), try eval(key, scope))
        case .slice(let object, let start, let stop, let step, _):
            let target = try eval(object, scope)
            return try sliceValue(target, try start.map { try eval($0, scope) }, try stop.map { try eval($0, scope) },
                                  try step.map { try eval($0, scope) })
        case .call(let callee, let args, let kwargs, _):
            let function = try eval(callee, scope)
            return try callValue(function, try args.map { try eval($0, scope) }, try kwargs.map { ($0.0, try eval($0.1, scope)) })
        case .filter(let value, let name, let args, let kwargs, _):
            return try applyFilter(name, try eval(value, scope), args, kwargs, scope)
        case .test(let value, let name, let args, let kwargs, let negated, _):
            let v = try eval(value, scope)
            let result = try JinjaTests.apply(name, v, try args.map { try eval($0, scope) },
                                               try kwargs.map { ($0.0, try eval($0.1, scope)) }, self)
            return .bool(negated ? !result : result)
        case .unary(let op, let operand, _):
            let v = try eval(operand, scope)
            switch op {
            case "not": return .bool(!v.truthy)
            case "-": return try Operators.negate(v)
            default: return try Operators.positive(v)
            }
        case .binary(let op, let left, let right, _):
            return try Operators.binary(op, try eval(left, scope), try eval(right, scope))
        case .compare(let first, let rest, _):
            var left = try eval(first, scope)
            for (op, e) in rest {
                let right = try eval(e, scope)
                if !(try Operators.compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let a, let b):
            let left = try eval(a, scope)
            return left.truthy ? try eval(b, scope) : left
        case .or(let a, let b):
            let left = try eval(a, scope)
            return left.truthy ? left : try eval(b, scope)
        case .concat(let parts, _):
            var s = ""
            for p in parts { s += pythonStr(try eval(p, scope)) }
            return .string(s)
        case .conditional(let condition, let then, let otherwise):
            if try eval(condition, scope).truthy { return try eval(then, scope) }
            if let otherwise { return try eval(otherwise, scope) }
            return .undefined(Undefined(message: "the inline if-expression on line \(line) evaluated to false and no else section was defined."))
        }
    }

    func callValue(_ function: Value, _ args: [Value], _ kwargs: [(String, Value)]) throws -> Value {
        switch function {
        case .function(let f): return try f.body(args, kwargs)
        case .undefined(let u): throw u.error
        default: throw JinjaError.type("'\(function.typeName)' object is not callable")
        }
    }

    func applyFilter(_ name: String, _ value: Value, _ args: [Expr], _ kwargs: [(String, Expr)], _ scope: Scope) throws -> Value {
        let a = try args.map { try eval($0, scope) }
        let k = try kwargs.map { ($0.0, try eval($0.1, scope)) }
        return try Filters.apply(name, value, a, k, self)
    }

    // MARK: attribute and item access (jinja2 sandbox semantics)

    /// `obj.name`: a Python attribute (method) first, then the item; unsafe attributes give a SecurityError undefined.
    func getAttribute(_ object: Value, _ name: String) throws -> Value {
        switch object {
        case .undefined(let u):
            throw u.error
        case .namespace(let ns):
            return ns.attributes[string: name] ?? Undefined.attribute(of: object, name)
        case .loop(let state):
            return loopAttribute(state, name) ?? Undefined.attribute(of: object, name)
        case .function(let f) where f.name == "dict" && name == "fromkeys":
            return .function(Globals.fromKeys)
        default:
            break
        }
        if name.hasPrefix("__") && name.hasSuffix("__") {
            return .undefined(Undefined(kind: "SecurityError", message: "access to attribute '\(name)' of '\(object.typeName)' object is unsafe."))
        }
        if let method = try Methods.lookup(object, name) { return method }
        if case .dict(let d) = object, let v = d[string: name] { return v }
        return Undefined.attribute(of: object, name)
    }

    /// `obj[key]`: the item first, then (for string keys) the attribute.
    func getItem(_ object: Value, _ key: Value) throws -> Value {
        switch (object, key) {
        case (.undefined(let u), _):
            throw u.error
        case (.dict(let d), _):
            if let v = d[key] { return v }
        case (.list(let l), _), (.tuple(let l), _):
            if let i = key.numeric, case .int(let n) = i, !(key.isBoolValue) || true {
                let index = n < 0 ? n + l.count : n
                if index >= 0 && index < l.count { return l[index] }
                return Undefined.element(of: object, key)
            }
        case (.string(let s), _):
            if case .int(let n)? = key.numeric {
                let scalars = Array(s.unicodeScalars)
                let index = n < 0 ? n + scalars.count : n
                if index >= 0 && index < scalars.count { return .string(String(scalars[index])) }
                return Undefined.element(of: object, key)
            }
        case (.loop, _), (.namespace, _):
            break
        default:
            break
        }
        if case .string(let name) = key {
            if case .dict = object { return Undefined.attribute(of: object, name) }
            return try getAttribute(object, name)
        }
        return Undefined.element(of: object, key)
    }

    private func loopAttribute(_ state: LoopState, _ name: String) -> Value? {
        let n = state.items.count
        let i = state.index0
        switch name {
        case "index": return .int(i + 1)
        case "index0": return .int(i)
        case "revindex": return .int(n - i)
        case "revindex0": return .int(n - i - 1)
        case "first": return .bool(i == 0)
        case "last": return .bool(i == n - 1)
        case "length": return .int(n)
        case "depth": return .int(state.depth0 + 1)
        case "depth0": return .int(state.depth0)
        case "previtem": return i > 0 ? state.items[i - 1] : .undefined(Undefined(message: "there is no previous item"))
        case "nextitem": return i + 1 < n ? state.items[i + 1] : .undefined(Undefined(message: "there is no next item"))
        case "cycle":
            return .function(Function("cycle") { args, _ in
                guard !args.isEmpty else { throw JinjaError.type("no items for cycling given") }
                return args[i % args.count]
            })
        default: return nil
        }
    }

    func sliceValue(_ target: Value, _ start: Value?, _ stop: Value?, _ step: Value?) throws -> Value {
        func int(_ v: Value?) throws -> Int? {
            guard let v else { return nil }
            if case .none = v { return nil }
            guard case .int(let i)? = v.numeric else {
                throw JinjaError.type("slice indices must be integers or None or have an __index__ method")
            }
            return i
        }
        let stepValue = try int(step) ?? 1
        if stepValue == 0 { throw JinjaError.value("slice step cannot be zero") }
        func indices(_ count: Int) throws -> [Int] {
            var lo = try int(start)
            var hi = try int(stop)
            if stepValue > 0 {
                var a = lo ?? 0, b = hi ?? count
                if a < 0 { a = max(0, a + count) } else { a = min(a, count) }
                if b < 0 { b = max(0, b + count) } else { b = min(b, count) }
                return a < b ? Array(stride(from: a, to: b, by: stepValue)) : []
            }
            if let l = lo { lo = l < 0 ? max(-1, l + count) : min(l, count - 1) }
            if let h = hi { hi = h < 0 ? max(-1, h + count) : min(h, count - 1) }
            let a = lo ?? count - 1, b = hi ?? -1
            return a > b ? Array(stride(from: a, to: b, by: stepValue)) : []
        }
        switch target {
        case .list(let l): return .list(try indices(l.count).map { l[$0] })
        case .tuple(let l): return .tuple(try indices(l.count).map { l[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in try indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case .undefined(let u): throw u.error
        default: throw JinjaError.type("'\(target.typeName)' object is not subscriptable")
        }
    }
}

extension Value {
    var isBoolValue: Bool { if case .bool = self { return true }; return false }
}
