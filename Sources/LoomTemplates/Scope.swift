/// A variable scope: the globals, the render context, then one child per loop iteration, macro call and `with`.
final class Scope {
    let parent: Scope?
    private var variables: [String: Value] = [:]

    init(parent: Scope?) { self.parent = parent }

    func lookup(_ name: String) -> Value? {
        var scope: Scope? = self
        while let s = scope {
            if let v = s.variables[name] { return v }
            scope = s.parent
        }
        return nil
    }

    func set(_ name: String, _ value: Value) { variables[name] = value }
}

/// Rendered text: a stack of buffers (the root one, plus one per macro call, `set` block, `filter` block or
/// `generation` body), with the size limit and the Unicode scalar count of the root used for generation spans.
struct OutputStack {
    var buffers: [String] = [""]
    var rootScalars = 0
    var totalBytes = 0
    let limitBytes: Int

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    mutating func write(_ text: String) throws {
        totalBytes += text.utf8.count
        if totalBytes > limitBytes {
            throw JinjaError("OutputTooLarge", "the rendered output exceeds \(limitBytes) bytes")
        }
        if buffers.count == 1 { rootScalars += text.unicodeScalars.count }
        buffers[buffers.count - 1] += text
    }

    mutating func push() { buffers.append("") }
    mutating func pop() -> String { buffers.removeLast() }
}
