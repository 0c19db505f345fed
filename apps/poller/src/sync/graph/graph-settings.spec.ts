import { PollerConfig } from '../../config/poller.config';
import { graphSettings } from './graph-settings';

describe('graphSettings', () => {
  it("keeps the graph's rolling day on the clock the limiter and the cadences use: TIME_SCALE 24 makes it an hour", () => {
    const settings = graphSettings(Object.assign(new PollerConfig(), { TIME_SCALE: 24 }));
    expect(settings.budgetWindowSeconds).toBe(3600);
    expect(settings.cadences.phishing_campaigns).toBe(150);
  });

  it('is a real day in real time', () => {
    expect(graphSettings(new PollerConfig()).budgetWindowSeconds).toBe(86_400);
  });
});
