import Panel

extension ApplianceConfiguration {
    /// ``panel`` with what the panel shows from other sections: whether the box trusts the demo
    /// model key (`inference.trustDemoKey`), for the demonstration build banner.
    public var effectivePanel: PanelSettings {
        var settings = panel
        settings.trustsDemoModelKey = modelPackages.trustsDemoKey
        return settings
    }
}
