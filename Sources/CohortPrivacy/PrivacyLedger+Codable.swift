extension PrivacyLedger: Codable {
    private enum CodingKeys: String, CodingKey {
        case unit
        case site
        case orders
        case charges
    }

    /// Decodes `{"unit", "site"?, "orders", "charges": […]}`, validating the orders and
    /// every charge, and rebuilds the total RDP by recording the charges in order (the
    /// total is a function of the charges, so it is not stored).
    ///
    /// A file that lists one id twice with different parameters is rejected; the same
    /// charge twice is kept once, as charging would.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let unit = try container.decode(PrivacyUnit.self, forKey: .unit)
        let site = try container.decodeIfPresent(String.self, forKey: .site)
        let orders = try container.decode([Double].self, forKey: .orders)
        let charges = try container.decode([PrivacyCharge].self, forKey: .charges)
        let accountant: RDPAccountant
        do {
            accountant = try RDPAccountant(orders: orders)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .orders, in: container, debugDescription: error.message)
        }
        self.init(unit: unit, site: site, accountant: accountant)
        for charge in charges {
            do {
                try self.charge(charge)
            } catch {
                throw DecodingError.dataCorruptedError(
                    forKey: .charges, in: container, debugDescription: error.message)
            }
        }
    }

    /// Encodes the unit, site, orders and charges (not the derived total).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(unit, forKey: .unit)
        try container.encodeIfPresent(site, forKey: .site)
        try container.encode(accountant.orders, forKey: .orders)
        try container.encode(charges, forKey: .charges)
    }
}

extension PrivacyLedger: Hashable {
    /// Ledgers are equal when they record the same charges, in the same order, for the
    /// same unit and site over the same orders (the total follows from those).
    public static func == (lhs: PrivacyLedger, rhs: PrivacyLedger) -> Bool {
        lhs.unit == rhs.unit && lhs.site == rhs.site && lhs.accountant == rhs.accountant
            && lhs.charges == rhs.charges
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(unit)
        hasher.combine(site)
        hasher.combine(accountant)
        hasher.combine(charges)
    }
}
