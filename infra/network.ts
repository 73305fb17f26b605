// Optional hardening (PRISM_VPC=true): the processor runs in private subnets that reach S3 and
// DynamoDB only through gateway endpoints. There is no NAT gateway: the processor talks to
// nothing else (logs and EMF metrics leave through the Lambda service, the on-failure
// destination is sent by Lambda itself), and gateway endpoints cost nothing.
import { transformed } from "./args";
import type { PrismConfig } from "./config";

export function createNetwork(config: PrismConfig) {
  // Under `sst dev` the processor is a stub that forwards events to SST's bridge on the internet;
  // in private subnets without NAT it could reach neither the bridge nor the developer's machine.
  if (!config.USE_VPC || $dev) return undefined;

  // No `nat`: SST's Vpc creates no NAT gateway or instance unless asked.
  const vpc = new sst.aws.Vpc("Network", transformed(config.transform.vpc, "Network", { az: 2 }), config.child());
  const region = aws.getRegionOutput().name;
  const routeTableIds = vpc.nodes.privateRouteTables.apply((tables) => tables.map((t) => t.id));

  const s3Endpoint = new aws.ec2.VpcEndpoint("S3Endpoint", {
    vpcId: vpc.id,
    serviceName: $interpolate`com.amazonaws.${region}.s3`,
    vpcEndpointType: "Gateway",
    routeTableIds,
  }, config.child());
  const dynamoEndpoint = new aws.ec2.VpcEndpoint("DynamoEndpoint", {
    vpcId: vpc.id,
    serviceName: $interpolate`com.amazonaws.${region}.dynamodb`,
    vpcEndpointType: "Gateway",
    routeTableIds,
  }, config.child());

  return { vpc, s3Endpoint, dynamoEndpoint };
}

export type PrismNetwork = ReturnType<typeof createNetwork>;
