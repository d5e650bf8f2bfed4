package daily_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/seiri-dev/seiri/internal/config"
)

const repo = "../../.."

// The scheduled workflow assumes a role by OIDC: id-token: write, the
// configure-aws-credentials action with role-to-assume, and no static key.
func TestGitHubActionsExample(t *testing.T) {
	path := filepath.Join(repo, "examples/github-actions/seiri-daily.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On          map[string]any    `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
				Run  string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if wf.Permissions["id-token"] != "write" {
		t.Errorf("permissions: %v, want id-token: write", wf.Permissions)
	}
	if _, ok := wf.On["schedule"]; !ok {
		t.Error("no schedule trigger")
	}
	assumed, daily := false, false
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
				assumed = regexp.MustCompile(`^arn:aws:iam::[0-9]{12}:role/`).MatchString(s.With["role-to-assume"])
				for k := range s.With {
					if strings.Contains(k, "secret") || strings.Contains(k, "access-key") {
						t.Errorf("configure-aws-credentials takes a static key: %s", k)
					}
				}
			}
			daily = daily || strings.Contains(s.Run, "seiri daily") && strings.Contains(s.Run, "--workspace s3://")
		}
	}
	if !assumed || !daily {
		t.Errorf("role assumed by OIDC: %v; seiri daily with an S3 workspace: %v", assumed, daily)
	}
	for _, bad := range []string{"AWS_SECRET_ACCESS_KEY", "aws-secret-access-key", "AWS_ACCESS_KEY_ID"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("the workflow mentions %s", bad)
		}
	}
}

// The ECS task runs with a task role and the schedule targets the task.
func TestECSExample(t *testing.T) {
	var task struct {
		TaskRoleArn          string `json:"taskRoleArn"`
		ContainerDefinitions []struct {
			Command     []string `json:"command"`
			User        string   `json:"user"`
			Environment []struct {
				Name string `json:"name"`
			} `json:"environment"`
		} `json:"containerDefinitions"`
	}
	var sched struct {
		ScheduleExpression string `json:"ScheduleExpression"`
		Target             struct {
			Arn           string `json:"Arn"`
			EcsParameters struct {
				TaskDefinitionArn string `json:"TaskDefinitionArn"`
			} `json:"EcsParameters"`
		} `json:"Target"`
	}
	for _, c := range []struct {
		file string
		v    any
	}{{"task-definition.json", &task}, {"schedule.json", &sched}} {
		b, err := os.ReadFile(filepath.Join(repo, "examples/ecs", c.file))
		if err != nil {
			t.Fatal(err)
		}
		var loose map[string]any
		if err := json.Unmarshal(b, &loose); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if err := json.Unmarshal(b, c.v); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if strings.Contains(string(b), "AWS_SECRET_ACCESS_KEY") {
			t.Errorf("%s holds a static key", c.file)
		}
	}
	if !strings.Contains(task.TaskRoleArn, ":role/") || len(task.ContainerDefinitions) != 1 || task.ContainerDefinitions[0].Command[0] != "daily" ||
		task.ContainerDefinitions[0].User == "" || task.ContainerDefinitions[0].User == "0" {
		t.Errorf("task definition: %+v", task)
	}
	if !strings.HasPrefix(sched.ScheduleExpression, "cron(") || !strings.Contains(sched.Target.EcsParameters.TaskDefinitionArn, "task-definition/seiri-daily") {
		t.Errorf("schedule: %+v", sched)
	}
}

// The image: a static binary, a distroless final stage, not root.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repo, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(s, -1)
	if len(froms) < 2 || !strings.HasPrefix(froms[len(froms)-1][1], "gcr.io/distroless/static") {
		t.Errorf("stages %v: want a multi-stage build ending on distroless/static", froms)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/seiri", "USER nonroot"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if regexp.MustCompile(`(?m)^USER\s+(root|0)\b`).MatchString(s) {
		t.Error("the image runs as root")
	}
}

// The example seiri.yaml is a valid configuration with the daily steps.
func TestExampleConfig(t *testing.T) {
	c, err := config.Load(filepath.Join(repo, "examples/seiri.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Daily.Runs(config.StepDeleteKeys) || c.Daily.Apply || c.Notify.Slack == nil || c.Notify.Slack.Env == "" {
		t.Errorf("example config: %+v %+v", c.Daily, c.Notify)
	}
}
