import Foundation

/// The globals of transformers' environment: jinja2's `range` (sandbox-capped), `dict`, `namespace`, and
/// transformers' `raise_exception` and `strftime_now` (`chat_template_utils.py`).
enum Globals {
    static func install(into scope: Scope, evaluator: Evaluator) {
        scope.set("range", .function(Function("range") { args, _ in try range(args) }))
        scope.set("dict", .function(Function("dict") { args, kwargs in try makeDict(args, kwargs) }))
        scope.set("namespace", .function(Function("namespace") { [unowned evaluator] args, kwargs in
            let attributes = try makeDict(args, kwargs)
            guard case .dict(let d) = attributes else { return attributes }
            let ns = Namespace()
            for (k, v) in zip(d.keys, d.values) {
                if case .string(let name) = k { try evaluator.checkNamespaceName(name) }
                ns.attributes.set(k, v)
            }
            return .namespace(ns)
        }))
        scope.set("raise_exception", .function(Function("raise_exception") { args, kwargs in
            guard let message = args.first ?? kwargs.first(where: { $0.0 == "message" })?.1 else {
                throw JinjaError.type("raise_exception() missing 1 required positional argument: 'message'")
            }
            throw JinjaError("TemplateError", pythonStr(message))
        }))
        scope.set("strftime_now", .function(Function("strftime_now") { [unowned evaluator] args, _ in
            guard case .string(let format)? = args.first else {
                throw JinjaError.type("strftime() argument 1 must be str")
            }
            return .string(strftime(format, evaluator.now))
        }))
    }

    /// `dict.fromkeys(keys, value=None)`, reached as an attribute of the `dict` global.
    static let fromKeys = Function("fromkeys") { args, _ in
        guard let keys = args.first else { throw JinjaError.type("fromkeys expected at least 1 argument, got 0") }
        var d = PyDict()
        for k in try keys.iterate() { d.set(k, args.count > 1 ? args[1] : .none) }
        return .dict(d)
    }

    static func makeDict(_ args: [Value], _ kwargs: [(String, Value)]) throws -> Value {
        var d = PyDict()
        if args.count > 1 { throw JinjaError.type("dict expected at most 1 argument, got \(args.count)") }
        if let source = args.first {
            switch source {
            case .dict(let x): d = x
            default:
                for (i, pair) in try source.iterate().enumerated() {
                    let items = try pair.iterate()
                    guard items.count == 2 else {
                        throw JinjaError.value("dictionary update sequence element #\(i) has length \(items.count); 2 is required")
                    }
                    d.set(items[0], items[1])
                }
            }
        }
        for (k, v) in kwargs { d.set(.string(k), v) }
        return .dict(d)
    }

    static func range(_ args: [Value]) throws -> Value {
        var ints: [Int] = []
        for a in args {
            guard case .int(let i)? = a.numeric, !a.isBoolValue || true else {
                throw JinjaError.type("'\(a.typeName)' object cannot be interpreted as an integer")
            }
            ints.append(i)
        }
        let (start, stop, step): (Int, Int, Int)
        switch ints.count {
        case 1: (start, stop, step) = (0, ints[0], 1)
        case 2: (start, stop, step) = (ints[0], ints[1], 1)
        case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
        default: throw JinjaError.type("range expected at most 3 arguments, got \(ints.count)")
        }
        if step == 0 { throw JinjaError.value("range() arg 3 must not be zero") }
        let count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                             : (start > stop ? (start - stop - step - 1) / -step : 0)
        if count > Evaluator.maximumRange {
            throw JinjaError("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")
        }
        return .list((0..<count).map { .int(start + $0 * step) })
    }
}

/// C `strftime` (glibc flavour, `%-d` style flags included) of `date` in UTC.
func strftime(_ format: String, _ date: Date) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond], from: date)
    let year = c.year!, month = c.month!, day = c.day!, hour = c.hour!, minute = c.minute!, second = c.second!
    let weekday = (c.weekday! + 5) % 7  // Monday = 0
    let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
    let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]
    func pad(_ n: Int, _ width: Int, _ flag: Character?) -> String {
        let s = String(n)
        if flag == "-" { return s }
        let fill: Character = flag == "_" ? " " : "0"
        return String(repeating: fill, count: max(0, width - s.count)) + s
    }
    var out = ""
    var chars = Array(format)[...]
    while let ch = chars.popFirst() {
        guard ch == "%", !chars.isEmpty else { out.append(ch); continue }
        var flag: Character? = nil
        if let f = chars.first, f == "-" || f == "_" || f == "0" { flag = f; chars.removeFirst() }
        guard let d = chars.popFirst() else { out.append("%"); break }
        let hour12 = hour % 12 == 0 ? 12 : hour % 12
        switch d {
        case "Y": out += String(year)
        case "y": out += pad(year % 100, 2, flag)
        case "m": out += pad(month, 2, flag)
        case "d": out += pad(day, 2, flag)
        case "e": out += pad(day, 2, flag ?? "_")
        case "H": out += pad(hour, 2, flag)
        case "I": out += pad(hour12, 2, flag)
        case "M": out += pad(minute, 2, flag)
        case "S": out += pad(second, 2, flag)
        case "j": out += pad(dayOfYear, 3, flag)
        case "p": out += hour < 12 ? "AM" : "PM"
        case "a": out += String(days[weekday].prefix(3))
        case "A": out += days[weekday]
        case "b", "h": out += String(months[month - 1].prefix(3))
        case "B": out += months[month - 1]
        case "w": out += String((weekday + 1) % 7)
        case "u": out += String(weekday + 1)
        case "f": out += pad((c.nanosecond ?? 0) / 1000, 6, flag)
        case "F": out += "\(year)-\(pad(month, 2, nil))-\(pad(day, 2, nil))"
        case "T": out += "\(pad(hour, 2, nil)):\(pad(minute, 2, nil)):\(pad(second, 2, nil))"
        case "D": out += "\(pad(month, 2, nil))/\(pad(day, 2, nil))/\(pad(year % 100, 2, nil))"
        case "z": out += ""
        case "Z": out += ""
        case "n": out += "\n"
        case "t": out += "\t"
        case "%": out += "%"
        default: out += "%" + (flag.map { String($0) } ?? "") + String(d)
        }
    }
    return out
}
