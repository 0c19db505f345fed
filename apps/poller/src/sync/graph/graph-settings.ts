import type { PollerConfig } from '../../config/poller.config';
import { DEFAULT_GRAPH_SETTINGS, GraphSettings } from './graph-plan';

/** The graph's cadences and budget share as configured (SYNC_GRAPH_*). */
export function graphSettings(config: PollerConfig): GraphSettings {
  // TIME_SCALE (fleet benchmarks) compresses the graph's cadences with everything else
  const scale = config.TIME_SCALE;
  const lists = config.SYNC_GRAPH_PHISHING_INTERVAL_SECONDS / scale;
  const risk = config.SYNC_GRAPH_RISK_INTERVAL_SECONDS / scale;
  return {
    ...DEFAULT_GRAPH_SETTINGS,
    cadences: { phishing_campaigns: lists, security_tests: lists, recipients: config.SYNC_GRAPH_RECIPIENTS_INTERVAL_SECONDS / scale, account_risk: risk, group_risk: risk, user_risk: risk },
    dailyShare: config.SYNC_GRAPH_DAILY_SHARE,
    // KnowBe4's rolling day is compressed too: the graph's share is a share of the same simulated day as the limiter's
    budgetWindowSeconds: 86_400 / scale,
    maxRequestsPerRun: config.SYNC_GRAPH_MAX_REQUESTS_PER_RUN,
    userRiskSlice: config.SYNC_GRAPH_USER_RISK_SLICE,
    perPage: config.SYNC_PER_PAGE,
  };
}
