/// Shell-style patterns as Python's `fnmatch` matches them (what huggingface_hub's `allow_patterns` /
/// `ignore_patterns` use): `*` matches any run of characters **including `/`**, `?` one character, `[abc]`, `[a-z]`
/// and `[!abc]` one character of (or not of) a set; everything else matches itself. A pattern ending in `/` matches
/// everything under that folder (`filter_repo_objects` appends `*`).
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let characters: [Character]

    /// A pattern.
    public init(_ pattern: String) {
        self.pattern = pattern
        characters = Array(pattern.hasSuffix("/") ? pattern + "*" : pattern)
    }

    public var description: String { pattern }

    /// Whether `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        let input = Array(text)
        // Iterative matcher with backtracking to the last `*` (linear in practice, no recursion).
        var p = 0, t = 0
        var starP = -1, starT = 0
        while t < input.count {
            if p < characters.count {
                let c = characters[p]
                if c == "*" {
                    starP = p
                    starT = t
                    p += 1
                    continue
                }
                if c == "?" {
                    p += 1
                    t += 1
                    continue
                }
                if c == "[", let set = matchSet(at: p, input[t]) {
                    if set.matched {
                        p = set.next
                        t += 1
                        continue
                    }
                } else if c == input[t] {
                    p += 1
                    t += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starT += 1
            t = starT
        }
        while p < characters.count, characters[p] == "*" { p += 1 }
        return p == characters.count
    }

    /// Matches `character` against the set starting at `characters[start] == "["`; nil when the bracket is not
    /// closed (then `[` is a literal, as in fnmatch).
    private func matchSet(at start: Int, _ character: Character) -> (matched: Bool, next: Int)? {
        var index = start + 1
        var negate = false
        if index < characters.count, characters[index] == "!" {
            negate = true
            index += 1
        }
        var matched = false
        var first = true
        while index < characters.count {
            let c = characters[index]
            if c == "]" && !first { return (matched != negate, index + 1) }
            first = false
            if index + 2 < characters.count, characters[index + 1] == "-", characters[index + 2] != "]" {
                if c <= character && character <= characters[index + 2] { matched = true }
                index += 3
            } else {
                if c == character { matched = true }
                index += 1
            }
        }
        return nil
    }
}
