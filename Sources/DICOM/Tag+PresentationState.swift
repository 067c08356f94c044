/// Attributes of the Grayscale Softcopy Presentation State (PS3.3 A.33.1) the box writes.
extension Tag {
    public static let referencedImageSequence = Tag(0x0008, 0x1140)
    public static let softcopyVOILUTSequence = Tag(0x0028, 0x3110)
    public static let presentationLUTShape = Tag(0x2050, 0x0020)

    // Graphic Annotation and Graphic Layer modules (PS3.3 C.10.5, C.10.7).
    public static let graphicAnnotationSequence = Tag(0x0070, 0x0001)
    public static let graphicLayer = Tag(0x0070, 0x0002)
    public static let boundingBoxAnnotationUnits = Tag(0x0070, 0x0003)
    public static let anchorPointAnnotationUnits = Tag(0x0070, 0x0004)
    public static let graphicAnnotationUnits = Tag(0x0070, 0x0005)
    public static let unformattedTextValue = Tag(0x0070, 0x0006)
    public static let textObjectSequence = Tag(0x0070, 0x0008)
    public static let graphicObjectSequence = Tag(0x0070, 0x0009)
    public static let boundingBoxTopLeftHandCorner = Tag(0x0070, 0x0010)
    public static let boundingBoxBottomRightHandCorner = Tag(0x0070, 0x0011)
    public static let boundingBoxTextHorizontalJustification = Tag(0x0070, 0x0012)
    public static let anchorPoint = Tag(0x0070, 0x0014)
    public static let anchorPointVisibility = Tag(0x0070, 0x0015)
    public static let graphicDimensions = Tag(0x0070, 0x0020)
    public static let numberOfGraphicPoints = Tag(0x0070, 0x0021)
    public static let graphicFilled = Tag(0x0070, 0x0024)
    public static let graphicLayerSequence = Tag(0x0070, 0x0060)
    public static let graphicLayerOrder = Tag(0x0070, 0x0062)
    public static let graphicLayerRecommendedDisplayGrayscaleValue = Tag(0x0070, 0x0066)
    public static let graphicLayerDescription = Tag(0x0070, 0x0068)

    // Displayed Area module (PS3.3 C.10.4).
    public static let displayedAreaTopLeftHandCorner = Tag(0x0070, 0x0052)
    public static let displayedAreaBottomRightHandCorner = Tag(0x0070, 0x0053)
    public static let displayedAreaSelectionSequence = Tag(0x0070, 0x005A)
    public static let presentationSizeMode = Tag(0x0070, 0x0100)
    public static let presentationPixelAspectRatio = Tag(0x0070, 0x0102)

    // Presentation State Identification module (PS3.3 C.11.10).
    public static let contentLabel = Tag(0x0070, 0x0080)
    public static let contentDescription = Tag(0x0070, 0x0081)
    public static let presentationCreationDate = Tag(0x0070, 0x0082)
    public static let presentationCreationTime = Tag(0x0070, 0x0083)
    public static let contentCreatorName = Tag(0x0070, 0x0084)
}
