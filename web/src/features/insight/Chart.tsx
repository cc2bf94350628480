import { CameraOutlined } from '@ant-design/icons';
import { Button, Tooltip } from 'antd';
import { BarChart, FunnelChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';

echarts.use([
  BarChart,
  LineChart,
  FunnelChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

/**
 * An ECharts chart that follows its box's width (phones included), with a PNG download of what it shows.
 * `onClick` gets the clicked item's data index (for drilling down to the customers behind it).
 */
export function Chart({
  option,
  height = 280,
  fileName,
  onClick,
  testId,
}: {
  option: ChartOption;
  height?: number;
  fileName: string;
  onClick?: (dataIndex: number, seriesIndex: number) => void;
  testId?: string;
}) {
  const { t } = useTranslation();
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const click = useRef(onClick);
  click.current = onClick;
  useEffect(() => {
    if (!box.current) return;
    const c = echarts.init(box.current);
    chart.current = c;
    c.on('click', (p) => click.current?.(p.dataIndex, p.seriesIndex ?? 0));
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(box.current);
    return () => {
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);
  const png = () => {
    const url = chart.current?.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#fff' });
    if (!url) return;
    const a = document.createElement('a');
    a.href = url;
    a.download = `${fileName}.png`;
    document.body.append(a);
    a.click();
    a.remove();
  };
  return (
    <div className="insight-chart">
      <Tooltip title={t('insight.png')}>
        <Button
          size="small"
          type="text"
          icon={<CameraOutlined />}
          onClick={png}
          className="insight-chart-png"
          aria-label={t('insight.png')}
        />
      </Tooltip>
      <div ref={box} style={{ width: '100%', height }} data-testid={testId} />
    </div>
  );
}
