package detect

import "strings"

// User-agent classes. A class is a family of clients that behave alike
// (how the string is built), not a product: a credential that always
// called through an SDK and now calls from a command line, a browser, a raw
// HTTP library, or an operating system built for penetration testing, is
// being used in a new way. No class keys on the name of an
// attack-simulation tool.
const (
	AgentConsole = "console"      // the AWS Management Console (browser)
	AgentCLI     = "cli"          // aws-cli, AWS Tools for PowerShell
	AgentSDK     = "sdk"          // an AWS SDK in a program
	AgentIaC     = "iac"          // infrastructure as code (Terraform, CDK, CloudFormation, Pulumi)
	AgentService = "aws-service"  // an AWS service or "AWS Internal"
	AgentHTTP    = "generic-http" // a raw HTTP library or browser not through the console
	AgentPentest = "pentest-os"   // an SDK/CLI whose platform is a penetration-testing distribution
	AgentOther   = "other"
)

// pentestOS are Linux distributions built for penetration testing, as the
// AWS CLI and botocore write them into the platform part of the user agent
// (the kernel release, "md/distrib#..."): Amazon GuardDuty reports the same
// through PenTest:IAMUser/KaliLinux, ParrotLinux and PentooLinux
// (GuardDuty User Guide, "GuardDuty IAM finding types").
var pentestOS = []string{"kali", "parrot", "pentoo", "blackarch"}

// AgentClass returns the class of a user-agent string ("" when empty).
func AgentClass(ua string) string {
	if ua == "" {
		return ""
	}
	l := strings.ToLower(ua)
	sdkLike := strings.HasPrefix(l, "aws-cli/") || strings.HasPrefix(l, "boto3/") || strings.HasPrefix(l, "botocore/") ||
		strings.HasPrefix(l, "aws-sdk-") || strings.Contains(l, " aws-sdk-") || strings.HasPrefix(l, "aws-internal/") ||
		strings.HasPrefix(l, "awspowershell") || strings.HasPrefix(l, "aws-powershell")
	if sdkLike {
		for _, d := range pentestOS {
			if strings.Contains(l, d) {
				return AgentPentest
			}
		}
	}
	switch {
	case strings.Contains(l, "console.amazonaws.com") || strings.Contains(l, "console.aws.amazon.com"):
		return AgentConsole
	case l == "aws internal" || strings.HasSuffix(l, ".amazonaws.com") && !strings.Contains(l, " ") ||
		strings.HasPrefix(l, "aws-internal/"):
		return AgentService
	case strings.Contains(l, "terraform") || strings.Contains(l, "aws-cdk") || strings.Contains(l, "cloudformation") ||
		strings.Contains(l, "pulumi"):
		return AgentIaC
	case strings.HasPrefix(l, "aws-cli/") || strings.HasPrefix(l, "awspowershell") || strings.HasPrefix(l, "aws-powershell"):
		return AgentCLI
	case sdkLike || strings.Contains(l, "aws-sdk"):
		return AgentSDK
	case strings.HasPrefix(l, "mozilla/"):
		// A browser calling the API outside the console's own agent
		// (console sign-in records carry the browser's string).
		return AgentConsole
	case strings.HasPrefix(l, "python-requests/") || strings.HasPrefix(l, "curl/") || strings.HasPrefix(l, "go-http-client/") ||
		strings.HasPrefix(l, "wget/") || strings.HasPrefix(l, "okhttp/") || strings.HasPrefix(l, "python-urllib") ||
		strings.HasPrefix(l, "axios/") || strings.HasPrefix(l, "node-fetch"):
		return AgentHTTP
	}
	return AgentOther
}
