"""Which error codes an operation may answer: its modeled errors, the errors common to every AWS API of its
protocol, and, for EC2 (whose model declares no errors), the codes the EC2 API reference documents in
"Error codes for the Amazon EC2 API" (common client errors, client errors for specific actions, server errors).
"""
import re

# Common to all AWS query/JSON APIs ("Common Errors" in each API reference), with their HTTP statuses.
COMMON = {
    "AccessDenied": (400, 403), "AccessDeniedException": (400, 403), "IncompleteSignature": (400, 403),
    "InternalFailure": (500,), "InvalidAction": (400,), "InvalidClientTokenId": (403,),
    "InvalidParameterCombination": (400,), "InvalidParameterValue": (400,), "InvalidQueryParameter": (400,),
    "MalformedQueryString": (404, 400), "MissingAction": (400,), "MissingAuthenticationToken": (403,),
    "MissingParameter": (400,), "NotAuthorized": (400, 403), "OptInRequired": (403,), "RequestExpired": (400,),
    "ServiceUnavailable": (503,), "ThrottlingException": (400, 429), "Throttling": (400,),
    "ValidationError": (400,), "UnrecognizedClientException": (400, 403), "SignatureDoesNotMatch": (403,),
    "ExpiredToken": (400, 403), "ExpiredTokenException": (400, 403), "RequestLimitExceeded": (503, 400),
    "InvalidSignatureException": (400, 403),
}
# Per protocol: the JSON protocols answer these as well.
PROTOCOL_COMMON = {
    "json": {"ValidationException": (400,), "SerializationException": (400,), "UnknownOperationException": (400,),
             "InternalServerError": (500,), "ServiceUnavailableException": (503,), "RequestEntityTooLargeException":
             (413,), "InvalidRequestException": (400,)},
    "rest-json": {"ValidationException": (400,), "SerializationException": (400,), "UnknownOperationException": (404, 400),
                  "InternalServerException": (500,), "ServiceUnavailableException": (503,)},
    "query": {"ValidationError": (400,), "InvalidInput": (400,), "MalformedInput": (400,)},
    "ec2": {},
}

# What an operation cloudbox does not implement may answer.
NOT_IMPLEMENTED = {"NotImplemented": (501,), "InvalidAction": (400,), "UnknownOperationException": (400, 404)}

# EC2 API reference, "Error codes for the Amazon EC2 API": common client errors, client errors for specific
# actions, and server errors. EC2 answers all its client errors with HTTP 400.
EC2_CODES = set("""
AuthFailure Blocked DryRunOperation IdempotentParameterMismatch IncompleteSignature InvalidAction InvalidCharacter
InvalidClientTokenId InvalidPaginationToken InvalidParameter InvalidParameterCombination InvalidParameterDependency
InvalidParameterValue InvalidQueryParameter MalformedQueryString MissingAction MissingAuthenticationToken
MissingParameter OptInRequired PendingVerification RequestExpired UnauthorizedOperation UnknownParameter
UnsupportedInstanceAttribute UnsupportedOperation UnsupportedProtocol ValidationError
AccountDisabled ActiveVpcPeeringConnectionPerVpcLimitExceeded AddressLimitExceeded AsnConflict AttachmentLimitExceeded
BootForVolumeTypeUnsupported BundlingInProgress CannotDelete CidrConflict ClientVpnAuthorizationRuleLimitExceeded
ClientVpnCertificateRevocationListLimitExceeded ClientVpnEndpointAssociationExists ClientVpnEndpointLimitExceeded
ClientVpnRouteLimitExceeded ClientVpnTerminateConnectionsLimitExceeded ConcurrentCreateImageNoRebootLimitExceeded
ConcurrentSnapshotLimitExceeded ConcurrentTagAccess CreditSpecificationUpdateInProgress CustomerGatewayLimitExceeded
CustomerKeyHasBeenRevoked DeleteConversionTaskError DefaultSubnetAlreadyExistsInAvailabilityZone
DefaultVpcAlreadyExists DefaultVpcDoesNotExist DependencyViolation DisallowedForSageMaker DiskImageSizeTooLarge
DuplicateSubnetsInSameZone EIPMigratedToVpc ElasticIpLimitExceeded EncryptedVolumesNotSupported
ExistingVpcEndpointConnections FilterLimitExceeded FleetNotInModifiableState FlowLogAlreadyExists
FlowLogsLimitExceeded GatewayNotAttached HostAlreadyCoveredByReservation HostLimitExceeded
IdempotentInstanceTerminated InaccessibleStorageLocation IncorrectInstanceState IncorrectModificationState
IncorrectSpotRequestState IncorrectState IncompatibleHostRequirements InstanceAlreadyLinked InstanceCreditSpecification.NotSupported
InstanceLimitExceeded InsufficientCapacityOnHost InsufficientFreeAddressesInSubnet InsufficientReservedInstancesCapacity
InterfacePermissionLimitExceeded InternetGatewayLimitExceeded InvalidAddress.Locked InvalidAddress.Malformed
InvalidAddress.NotFound InvalidAddressID.NotFound InvalidAffinity InvalidAllocationID.NotFound InvalidAMIAttributeItemValue
InvalidAMIID.Malformed InvalidAMIID.NotFound InvalidAMIID.Unavailable InvalidAMIName.Duplicate InvalidAMIName.Malformed
InvalidAssociationID.NotFound InvalidAttachment.NotFound InvalidAttachmentID.NotFound InvalidAutoPlacement
InvalidAvailabilityZone InvalidBlockDeviceMapping InvalidBundleID.NotFound InvalidCapacityReservationId.Malformed
InvalidCapacityReservationId.NotFound InvalidCarrierGatewayID.NotFound InvalidCidr.InUse InvalidClientToken
InvalidConversionTaskId InvalidConversionTaskId.Malformed InvalidCpuCredits.Malformed InvalidCustomerGateway.DuplicateIpAddress
InvalidCustomerGatewayId.Malformed InvalidCustomerGatewayID.NotFound InvalidCustomerGatewayState InvalidDevice.InUse
InvalidDhcpOptionID.NotFound InvalidDhcpOptionsID.NotFound InvalidDhcpOptionsId.Malformed InvalidExportTaskID.NotFound
InvalidFilter InvalidFlowLogId.NotFound InvalidFormat InvalidFpgaImageID.Malformed InvalidFpgaImageID.NotFound
InvalidGatewayID.NotFound InvalidGroup.Duplicate InvalidGroupId.Malformed InvalidGroup.InUse InvalidGroup.NotFound
InvalidGroup.Reserved InvalidHostConfiguration InvalidHostId InvalidHostID.Malformed InvalidHostId.Malformed
InvalidHostID.NotFound InvalidHostId.NotFound InvalidHostReservationId.Malformed InvalidHostReservationOfferingId.Malformed
InvalidHostState InvalidIamInstanceProfileArn.Malformed InvalidID InvalidInput InvalidInstanceAttributeValue
InvalidInstanceCreditSpecification.DuplicateInstanceId InvalidInstanceEventID.NotFound InvalidInstanceEventStartTime
InvalidInstanceFamily InvalidInstanceID InvalidInstanceID.Malformed InvalidInstanceID.NotFound
InvalidInstanceID.NotLinkable InvalidInstanceCreditSpecification.NotSupported InvalidInstanceState InvalidInstanceType
InvalidInterface.IpAddressLimitExceeded InvalidInternetGatewayId.Malformed InvalidInternetGatewayID.NotFound
InvalidIPAddress.InUse InvalidKernelId.Malformed InvalidKey.Format InvalidKeyPair.Duplicate InvalidKeyPair.Format
InvalidKeyPair.NotFound InvalidCapacityReservationIdForSpotInstance InvalidLaunchTemplateId.Malformed
InvalidLaunchTemplateId.NotFound InvalidLaunchTemplateId.VersionNotFound InvalidLaunchTemplateName.AlreadyExistsException
InvalidLaunchTemplateName.MalformedException InvalidLaunchTemplateName.NotFoundException InvalidManifest
InvalidMaxResults InvalidNatGatewayID.NotFound InvalidNetworkAclEntry.NotFound InvalidNetworkAclId.Malformed
InvalidNetworkAclID.NotFound InvalidNetworkLoadBalancerArn.Malformed InvalidNetworkLoadBalancerArn.NotFound
InvalidNetworkInterfaceAttachmentId.Malformed InvalidNetworkInterface.InUse InvalidNetworkInterfaceId.Malformed
InvalidNetworkInterfaceID.NotFound InvalidNextToken InvalidOption.Conflict InvalidPermission.Duplicate
InvalidPermission.Malformed InvalidPermission.NotFound InvalidPlacementGroup.Duplicate InvalidPlacementGroup.InUse
InvalidPlacementGroup.Unknown InvalidPlacementGroupId.Malformed InvalidPolicyDocument InvalidPrefixListId.Malformed
InvalidPrefixListId.NotFound InvalidPrefixListID.NotFound InvalidProductInfo InvalidPurchaseToken.Expired
InvalidPurchaseToken.Malformed InvalidQuantity InvalidRamDiskId.Malformed InvalidRegion InvalidRequest
InvalidReservationID.Malformed InvalidReservationID.NotFound InvalidReservedInstancesId
InvalidReservedInstancesOfferingId InvalidResourceType.Unknown InvalidRoute.InvalidState InvalidRoute.Malformed
InvalidRoute.NotFound InvalidRouteTableId.Malformed InvalidRouteTableID.NotFound InvalidScheduledInstance
InvalidSecurity.RequestHasExpired InvalidSecurityGroupId.Malformed InvalidSecurityGroupID.NotFound
InvalidSecurityGroupRuleId.Malformed InvalidSecurityGroupRuleId.NotFound InvalidServiceName InvalidSnapshot.InUse
InvalidSnapshot.NotFound InvalidSnapshotID.Malformed InvalidSpotDatafeed.NotFound InvalidSpotFleetRequestConfig
InvalidSpotFleetRequestId.Malformed InvalidSpotFleetRequestId.NotFound InvalidSpotInstanceRequestID.Malformed
InvalidSpotInstanceRequestID.NotFound InvalidState InvalidStateTransition InvalidSubnet InvalidSubnet.Conflict
InvalidSubnet.Range InvalidSubnetId.Malformed InvalidSubnetID.Malformed InvalidSubnetID.NotFound InvalidTagKey.Malformed
InvalidTargetArn.Unknown InvalidTenancy InvalidTime InvalidTrafficMirrorFilterNotFound InvalidTrafficMirrorFilterRuleNotFound
InvalidTrafficMirrorSessionNotFound InvalidTrafficMirrorTargetNoFound InvalidUserID.Malformed InvalidVolume.NotFound
InvalidVolume.ZoneMismatch InvalidVolumeID.Duplicate InvalidVolumeID.Malformed InvalidVolumeID.ZoneMismatch
InvalidVpcEndpoint.NotFound InvalidVpcEndpointId.Malformed InvalidVpcEndpointId.NotFound InvalidVpcEndpointID.NotFound
InvalidVpcEndpoints.NotFound InvalidVpcEndpointService.NotFound InvalidVpcEndpointServiceId.NotFound InvalidVpcID.Malformed
InvalidVpcID.NotFound InvalidVpcId.Malformed InvalidVpcPeeringConnectionId.Malformed InvalidVpcPeeringConnectionID.NotFound
InvalidVpcPeeringConnectionState.DnsHostnamesDisabled InvalidVpcRange InvalidVpcState InvalidVpnConnectionID
InvalidVpnConnectionID.NotFound InvalidVpnConnection.InvalidState InvalidVpnConnection.InvalidType InvalidVpnGatewayAttachment.NotFound
InvalidVpnGatewayID.NotFound InvalidVpnGatewayState InvalidZone.NotFound KeyPairLimitExceeded LegacySecurityGroup
LimitPriceExceeded LogDestinationNotFound LogDestinationPermissionIssue MaxConfigLimitExceeded MaxIOPSLimitExceeded
MaxScheduledInstanceCapacityExceeded MaxSpotFleetRequestCountExceeded MaxSpotInstanceCountExceeded MaxTemplateLimitExceeded
MaxTemplateVersionLimitExceeded MissingInput NatGatewayLimitExceeded NatGatewayMalformed NatGatewayNotFound
NetworkAclEntryAlreadyExists NetworkAclEntryLimitExceeded NetworkAclLimitExceeded NetworkInterfaceLimitExceeded
NotExportable OperationNotPermitted OutstandingVpcPeeringConnectionLimitExceeded PendingSnapshotLimitExceeded
PendingVpcPeeringConnectionLimitExceeded PlacementGroupLimitExceeded PrivateIpAddressLimitExceeded
RequestResourceCountExceeded ReservedInstancesCountExceeded ReservedInstancesLimitExceeded ReservedInstancesUnavailable
Resource.AlreadyAssigned Resource.AlreadyAssociated ResourceCountExceeded ResourceCountLimitExceeded ResourceLimitExceeded
RouteAlreadyExists RouteLimitExceeded RouteTableLimitExceeded RulesPerSecurityGroupLimitExceeded ScheduledInstanceLimitExceeded
ScheduledInstanceParameterMismatch ScheduledInstanceSlotNotOpen ScheduledInstanceSlotUnavailable SecurityGroupLimitExceeded
SecurityGroupsPerInstanceLimitExceeded SecurityGroupsPerInterfaceLimitExceeded SignatureDoesNotMatch SnapshotCopyUnsupported.InterRegion
SnapshotCreationPerVolumeRateExceeded SnapshotLimitExceeded SubnetLimitExceeded TagLimitExceeded TagPolicyViolation
TargetCapacityLimitExceededException TooManyIdentifiers Unavailable UnavailableHostRequirements UnknownPrincipalType.Unsupported
UnknownVolumeType UnsupportedHibernationConfiguration UnsupportedHostConfiguration UnsupportedInstanceTypeOnHost
UnsupportedTenancy UpdateLimitExceeded VcpuLimitExceeded VolumeInUse VolumeIOPSLimit VolumeLimitExceeded
VolumeModificationSizeLimitExceeded VolumeTypeNotAvailableInZone VpcCidrConflict VPCIdNotSpecified VpcEndpointLimitExceeded
VpcLimitExceeded VpcPeeringConnectionAlreadyExists VpcPeeringConnectionsPerVpcLimitExceeded VPCResourceNotSpecified
VpnConnectionLimitExceeded VpnGatewayAttachmentLimitExceeded VpnGatewayLimitExceeded ZonesMismatched
InsufficientAddressCapacity InsufficientCapacity InsufficientInstanceCapacity InsufficientHostCapacity
InsufficientReservedInstanceCapacity InternalError InternalFailure RequestLimitExceeded ServiceUnavailable
""".split())
# Codes real EC2 answers that the reference page does not list, as clients that handle them by name show
# (the AWS SDKs' and Terraform's EC2 error handling): accepted as EC2 codes too.
EC2_CODES |= set("""
Gateway.NotAttached NonEBSInstance Unsupported Throttling CidrLimitExceeded PrefixListMaxEntriesExceeded
PrefixListVersionMismatch InvalidPrefixListModification ConcurrentMutationLimitExceeded ResourceNotReady
NatGatewayNotFound AnalysisExistsForNetworkInsightsPath IpamOrganizationAccountNotRegistered
InvalidConnectionNotification InvalidClientVpnActiveAssociationNotFound InvalidClientVpnAssociationIdNotFound
InvalidClientVpnEndpointAuthorizationRuleNotFound InvalidClientVpnRouteNotFound InvalidSpotFleetRequestConfig
""".split())
# Codes the EC2 reference documents in families: Invalid<Resource>ID.NotFound / .Malformed / .Duplicate / .InUse …
EC2_FAMILY = re.compile(r"^(Client\.)?[A-Z][A-Za-z0-9]*\.(NotFound|Malformed|Duplicate|InUse|Conflict|Range|Unavailable|"
                        r"NotFoundException|MalformedException|AlreadyExistsException|InvalidState)$")
EC2_SERVER = {"InsufficientAddressCapacity", "InsufficientCapacity", "InsufficientInstanceCapacity",
              "InsufficientHostCapacity", "InsufficientReservedInstanceCapacity", "InternalError", "InternalFailure",
              "RequestLimitExceeded", "ServiceUnavailable", "Unavailable"}

# Client errors that say the input itself is wrong (what an invalid input must get).
VALIDATION_LIKE = re.compile(r"(Invalid|Validation|Malformed|Missing|Parameter|Serialization|UnknownParameter|"
                             r"BadRequest|LimitExceeded|TooLong|TooShort|OutOfRange|Format)", re.I)
NOT_VALIDATION = re.compile(r"(NotFound|NoSuch|DoesNotExist|InvalidAction|InvalidClientTokenId|"
                            r"InvalidSignature|NotAuthorized|AccessDenied)", re.I)


def modeled_errors(service_model, op_model):
    """{code: (shape name, HTTP status or None, fault)} for the operation's modeled errors."""
    out = {}
    for shape in op_model.error_shapes:
        md = shape.metadata.get("error", {})
        code = md.get("code", shape.name)
        status = md.get("httpStatusCode")
        fault = "server" if shape.metadata.get("fault") or md.get("senderFault") is False else "client"
        out[code] = (shape.name, status, fault)
        out.setdefault(shape.name, (shape.name, status, fault))
    return out


def allowed(service_model, op_model, code, status):
    """(ok, reason): whether `code` with HTTP `status` is one this operation may answer."""
    protocol = service_model.metadata["protocol"]
    modeled = modeled_errors(service_model, op_model)
    if code in modeled:
        _, mstatus, fault = modeled[code]
        if mstatus is not None and mstatus != status:
            return False, "modeled error %s has HTTP %s in the model, answered %d" % (code, mstatus, status)
        if mstatus is None:
            if fault == "client" and not 400 <= status < 500:
                return False, "client error %s answered with HTTP %d" % (code, status)
        return True, "modeled"
    common = dict(COMMON)
    common.update(PROTOCOL_COMMON.get(protocol, {}))
    if code in common:
        if status not in common[code] and not (400 <= status < 500 and all(400 <= s < 500 for s in common[code])):
            return False, "common error %s answered with HTTP %d (expected %s)" % (code, status, common[code])
        return True, "common"
    if protocol == "ec2":
        if code in EC2_CODES or EC2_FAMILY.match(code):
            if code in EC2_SERVER:
                return (status >= 500 or code == "RequestLimitExceeded"), "ec2 server error"
            if code == "DryRunOperation" and status != 412:
                return False, "DryRunOperation answered with HTTP %d (EC2 answers 412)" % status
            if not 400 <= status < 500:
                return False, "EC2 client error %s answered with HTTP %d" % (code, status)
            return True, "ec2 documented"
        return False, "%s is not an EC2 documented error code" % code
    return False, "%s is neither a modeled error of %s nor a common error" % (code, op_model.name)


def is_validation_like(code):
    return bool(VALIDATION_LIKE.search(code or "")) and not NOT_VALIDATION.search(code or "")
