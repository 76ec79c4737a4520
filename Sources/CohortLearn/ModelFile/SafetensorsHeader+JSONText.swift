extension SafetensorsHeader {
    /// Compact JSON text with object keys in UTF-8 byte order: the canonical header.
    ///
    /// Strings are escaped as `serde_json` escapes them (quote, backslash and control
    /// characters; everything else, `/` and non-ASCII included, as raw UTF-8).
    enum JSONText {
        /// `value` as a JSON string literal.
        static func string(_ value: String) -> [UInt8] {
            var out: [UInt8] = [UInt8(ascii: "\"")]
            out.reserveCapacity(value.utf8.count + 2)
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: Array(#"\""#.utf8))
                case UInt8(ascii: "\\"): out.append(contentsOf: Array(#"\\"#.utf8))
                case UInt8(ascii: "\n"): out.append(contentsOf: Array(#"\n"#.utf8))
                case UInt8(ascii: "\r"): out.append(contentsOf: Array(#"\r"#.utf8))
                case UInt8(ascii: "\t"): out.append(contentsOf: Array(#"\t"#.utf8))
                case 0x08: out.append(contentsOf: Array(#"\b"#.utf8))
                case 0x0C: out.append(contentsOf: Array(#"\f"#.utf8))
                case 0x00..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: Array(#"\u00"#.utf8))
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0F)])
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
            return out
        }

        /// A JSON array of integers.
        static func array(_ values: [Int]) -> [UInt8] {
            Array(("[" + values.map(String.init).joined(separator: ",") + "]").utf8)
        }

        /// Appends an object whose members' values are already JSON text, keys sorted by
        /// their UTF-8 bytes (which is also Unicode code point order).
        static func appendObject(_ members: [(key: String, value: [UInt8])], to out: inout [UInt8]) {
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            out.append(UInt8(ascii: "{"))
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: string(member.key))
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: member.value)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
