/// The part of the PS3.6 data dictionary the box needs: VRs for reading implicit VR data sets
/// and keywords for `fluorobox dicom dump`. Attributes of radiography (patient, study, series,
/// equipment, CR/DX acquisition, image pixel, LUTs, overlays) and the common identifying and
/// sequence attributes; anything else reads as UN in implicit VR, as with any reader whose
/// dictionary predates an attribute.
public enum DataDictionary {
    public struct Entry: Sendable, Hashable {
        public let vr: ValueRepresentation
        public let keyword: String
    }

    /// The VR of a tag, nil when the dictionary does not know it.
    public static func vr(for tag: Tag) -> ValueRepresentation? {
        entry(for: tag)?.vr
    }

    public static func keyword(for tag: Tag) -> String? {
        entry(for: tag)?.keyword
    }

    public static func entry(for tag: Tag) -> Entry? {
        if tag.element == 0x0000 { return Entry(vr: .UL, keyword: tag.group == 0x0002 ? "FileMetaInformationGroupLength" : "GroupLength") }
        if tag.isPrivate {
            if (0x0010...0x00FF).contains(tag.element) { return Entry(vr: .LO, keyword: "PrivateCreator") }
            return nil
        }
        // Repeating groups: overlays (60xx) and curves share one entry per element.
        if tag.group & 0xFF01 == 0x6000 {
            return table[0x6000_0000 | UInt32(tag.element)]
        }
        return table[tag.value]
    }

    private static let table: [UInt32: Entry] = {
        var table: [UInt32: Entry] = [:]
        for line in source.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let tag = UInt32(fields[0], radix: 16),
                  let vr = ValueRepresentation(rawValue: String(fields[1])) else { continue }
            table[tag] = Entry(vr: vr, keyword: String(fields[2]))
        }
        return table
    }()

    // Tag, VR (the first one where PS3.6 allows several), keyword.
    private static let source = """
    00020001 OB FileMetaInformationVersion
    00020002 UI MediaStorageSOPClassUID
    00020003 UI MediaStorageSOPInstanceUID
    00020010 UI TransferSyntaxUID
    00020012 UI ImplementationClassUID
    00020013 SH ImplementationVersionName
    00020016 AE SourceApplicationEntityTitle
    00020100 UI PrivateInformationCreatorUID
    00020102 OB PrivateInformation
    00080005 CS SpecificCharacterSet
    00080008 CS ImageType
    00080012 DA InstanceCreationDate
    00080013 TM InstanceCreationTime
    00080014 UI InstanceCreatorUID
    00080016 UI SOPClassUID
    00080018 UI SOPInstanceUID
    00080020 DA StudyDate
    00080021 DA SeriesDate
    00080022 DA AcquisitionDate
    00080023 DA ContentDate
    0008002A DT AcquisitionDateTime
    00080030 TM StudyTime
    00080031 TM SeriesTime
    00080032 TM AcquisitionTime
    00080033 TM ContentTime
    00080050 SH AccessionNumber
    00080051 SQ IssuerOfAccessionNumberSequence
    00080060 CS Modality
    00080064 CS ConversionType
    00080068 CS PresentationIntentType
    00080070 LO Manufacturer
    00080080 LO InstitutionName
    00080081 ST InstitutionAddress
    00080090 PN ReferringPhysicianName
    00080100 SH CodeValue
    00080102 SH CodingSchemeDesignator
    00080103 SH CodingSchemeVersion
    00080104 LO CodeMeaning
    00080201 SH TimezoneOffsetFromUTC
    00081010 SH StationName
    00081030 LO StudyDescription
    00081032 SQ ProcedureCodeSequence
    0008103E LO SeriesDescription
    00081040 LO InstitutionalDepartmentName
    00081050 PN PerformingPhysicianName
    00081060 PN NameOfPhysiciansReadingStudy
    00081070 PN OperatorsName
    00081090 LO ManufacturerModelName
    00081110 SQ ReferencedStudySequence
    00081111 SQ ReferencedPerformedProcedureStepSequence
    00081115 SQ ReferencedSeriesSequence
    00081120 SQ ReferencedPatientSequence
    00081140 SQ ReferencedImageSequence
    00081150 UI ReferencedSOPClassUID
    00081155 UI ReferencedSOPInstanceUID
    00081160 IS ReferencedFrameNumber
    00082111 ST DerivationDescription
    00082112 SQ SourceImageSequence
    00082218 SQ AnatomicRegionSequence
    00082228 SQ PrimaryAnatomicStructureSequence
    00089215 SQ DerivationCodeSequence
    00100010 PN PatientName
    00100020 LO PatientID
    00100021 LO IssuerOfPatientID
    00100030 DA PatientBirthDate
    00100040 CS PatientSex
    00101000 LO OtherPatientIDs
    00101001 PN OtherPatientNames
    00101010 AS PatientAge
    00101020 DS PatientSize
    00101030 DS PatientWeight
    00102160 SH EthnicGroup
    00104000 LT PatientComments
    00120062 CS PatientIdentityRemoved
    00120063 LO DeidentificationMethod
    00180010 LO ContrastBolusAgent
    00180015 CS BodyPartExamined
    00180050 DS SliceThickness
    00180060 DS KVP
    00181000 LO DeviceSerialNumber
    00181004 LO PlateID
    00181020 LO SoftwareVersions
    00181030 LO ProtocolName
    00181110 DS DistanceSourceToDetector
    00181111 DS DistanceSourceToPatient
    00181114 DS EstimatedRadiographicMagnificationFactor
    00181150 IS ExposureTime
    00181151 IS XRayTubeCurrent
    00181152 IS Exposure
    00181153 IS ExposureInuAs
    00181160 SH FilterType
    00181164 DS ImagerPixelSpacing
    00181166 CS Grid
    00181190 DS FocalSpots
    00181260 SH PlateType
    00181261 LO PhosphorType
    00181400 LO AcquisitionDeviceProcessingDescription
    00181401 LO AcquisitionDeviceProcessingCode
    00181405 IS RelativeXRayExposure
    00181411 DS ExposureIndex
    00181412 DS TargetExposureIndex
    00181413 DS DeviationIndex
    00181508 CS PositionerType
    00185100 CS PatientPosition
    00185101 CS ViewPosition
    00186000 DS Sensitivity
    00187004 CS DetectorType
    0018700A SH DetectorID
    0018702A LO DetectorManufacturerName
    0018702B LO DetectorManufacturerModelName
    00200010 SH StudyID
    0020000D UI StudyInstanceUID
    0020000E UI SeriesInstanceUID
    00200011 IS SeriesNumber
    00200012 IS AcquisitionNumber
    00200013 IS InstanceNumber
    00200020 CS PatientOrientation
    00200032 DS ImagePositionPatient
    00200037 DS ImageOrientationPatient
    00200052 UI FrameOfReferenceUID
    00200060 CS Laterality
    00200062 CS ImageLaterality
    00201040 LO PositionReferenceIndicator
    00201041 DS SliceLocation
    00204000 LT ImageComments
    00280002 US SamplesPerPixel
    00280004 CS PhotometricInterpretation
    00280006 US PlanarConfiguration
    00280008 IS NumberOfFrames
    00280009 AT FrameIncrementPointer
    00280010 US Rows
    00280011 US Columns
    00280030 DS PixelSpacing
    00280034 IS PixelAspectRatio
    00280100 US BitsAllocated
    00280101 US BitsStored
    00280102 US HighBit
    00280103 US PixelRepresentation
    00280106 US SmallestImagePixelValue
    00280107 US LargestImagePixelValue
    00280120 US PixelPaddingValue
    00280121 US PixelPaddingRangeLimit
    00280300 CS QualityControlImage
    00280301 CS BurnedInAnnotation
    00281040 CS PixelIntensityRelationship
    00281041 SS PixelIntensityRelationshipSign
    00281050 DS WindowCenter
    00281051 DS WindowWidth
    00281052 DS RescaleIntercept
    00281053 DS RescaleSlope
    00281054 LO RescaleType
    00281055 LO WindowCenterWidthExplanation
    00281056 CS VOILUTFunction
    00282110 CS LossyImageCompression
    00282112 DS LossyImageCompressionRatio
    00282114 CS LossyImageCompressionMethod
    00283000 SQ ModalityLUTSequence
    00283002 US LUTDescriptor
    00283003 LO LUTExplanation
    00283004 LO ModalityLUTType
    00283006 US LUTData
    00283010 SQ VOILUTSequence
    00320032 DA RETIRED_StudyVerifiedDate
    00321032 PN RequestingPhysician
    00321060 LO RequestedProcedureDescription
    00400244 DA PerformedProcedureStepStartDate
    00400245 TM PerformedProcedureStepStartTime
    00400253 SH PerformedProcedureStepID
    00400254 LO PerformedProcedureStepDescription
    00400555 SQ AcquisitionContextSequence
    0040A010 CS RelationshipType
    0040A040 CS ValueType
    0040A043 SQ ConceptNameCodeSequence
    0040A050 CS ContinuityOfContent
    0040A073 SQ VerifyingObserverSequence
    0040A075 PN VerifyingObserverName
    0040A124 UI UID
    0040A160 UT TextValue
    0040A168 SQ ConceptCodeSequence
    0040A491 CS CompletionFlag
    0040A493 CS VerificationFlag
    0040A504 SQ ContentTemplateSequence
    0040A730 SQ ContentSequence
    0040DB00 CS TemplateIdentifier
    20500020 CS PresentationLUTShape
    60000010 US OverlayRows
    60000011 US OverlayColumns
    60000040 CS OverlayType
    60000050 SS OverlayOrigin
    60000100 US OverlayBitsAllocated
    60000102 US OverlayBitPosition
    60003000 OW OverlayData
    7FE00001 OV ExtendedOffsetTable
    7FE00002 OV ExtendedOffsetTableLengths
    7FE00010 OW PixelData
    FFFAFFFA SQ DigitalSignaturesSequence
    FFFCFFFC OB DataSetTrailingPadding
    """
}
