import Panel

extension ApplianceConfiguration {
    /// ``panel`` with what the panel shows from other sections: whether the box trusts the demo
    /// model key (`inference.trustDemoKey`), for the demonstration build banner, and the box's
    /// `language` for browsers that state none the panel has.
    public var effectivePanel: PanelSettings {
        var settings = panel
        settings.trustsDemoModelKey = modelPackages.trustsDemoKey
        settings.language = PanelLanguage(rawValue: language.rawValue) ?? .en
        return settings
    }
}
