import Foundation

/// A host and port as given in configuration, classified for the gRPC transports.
struct NetworkAddress: Sendable, Hashable, CustomStringConvertible {
    enum Host: Sendable, Hashable {
        case ipv4(String)
        case ipv6(String)
        case dns(String)
    }

    let host: Host
    let port: Int

    /// Parses `host` (an IPv4 or IPv6 literal, or a DNS name) and checks `port` (0 asks the
    /// system for a free port when listening).
    ///
    /// - Parameter field: names the setting in errors.
    init(host text: String, port: Int, field: String) throws {
        guard (0...65_535).contains(port) else {
            throw TransportConfigurationError(field: field, message: "port \(port) is outside 0–65535")
        }
        let trimmed = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        if inet_pton(AF_INET, trimmed, &ipv4) == 1 {
            host = .ipv4(trimmed)
        } else if inet_pton(AF_INET6, trimmed, &ipv6) == 1 {
            host = .ipv6(trimmed)
        } else if !trimmed.isEmpty, trimmed.unicodeScalars.allSatisfy(Self.isDNSCharacter) {
            host = .dns(trimmed)
        } else {
            throw TransportConfigurationError(field: field, message: "'\(text)' is not an IP address or a DNS name")
        }
        self.port = port
    }

    /// ASCII letters, digits, `.` and `-`.
    private static func isDNSCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "-")
    }

    var description: String {
        switch host {
        case .ipv4(let address), .dns(let address): "\(address):\(port)"
        case .ipv6(let address): "[\(address)]:\(port)"
        }
    }
}
