# ruff: noqa: RUF001  (Chinese text keeps its own full-width punctuation)
"""A labelled bilingual corpus for measuring expert affinity: experts and submissions whose true
track is known, written from sentences of six summit tracks in Chinese and English.

Expert documents and submissions are built from disjoint halves of each track's sentences and
titles, so that a submission never repeats an expert's words verbatim: matching has to work
through the shared vocabulary of the field and the keywords that every text lists, as it does
with real papers. Every text also carries
a boilerplate sentence common to all tracks, and some experts have one document from another
track (a secondary interest), so that the way per-document similarities combine matters.
"""

import random
from dataclasses import dataclass

TRACKS: dict[str, dict[str, list[str]]] = {
    "ai": {
        "keywords_zh": [
            "大语言模型",
            "人工智能",
            "深度学习",
            "神经网络",
            "微调",
            "知识蒸馏",
            "多模态",
            "生成式",
            "自然语言处理",
            "预训练",
        ],
        "keywords_en": [
            "large language model",
            "artificial intelligence",
            "deep learning",
            "neural network",
            "fine tuning",
            "distillation",
            "multimodal",
            "generative AI",
            "NLP",
            "pre training",
        ],
        "titles_zh": [
            "面向中文长文本理解的大语言模型高效微调方法",
            "基于检索增强生成的知识问答系统",
            "多模态大模型在医学影像报告生成中的应用",
            "大模型推理加速：稀疏注意力与量化",
            "人工智能生成内容的可信评估框架",
            "小样本学习下的中文命名实体识别",
        ],
        "titles_en": [
            "Parameter-efficient fine-tuning of large language models for long documents",
            "Retrieval-augmented generation for open-domain question answering",
            "Instruction tuning and alignment of multilingual language models",
            "Knowledge distillation of transformer models for edge inference",
            "Evaluating hallucination in generative AI with reference-free metrics",
            "Few-shot learning with prompt-based neural networks",
        ],
        "sentences_zh": [
            "我们提出一种低秩适配的大语言模型微调方法，仅训练百分之一的参数。",
            "模型在中文阅读理解和文本摘要基准上超过了全量微调的效果。",
            "检索增强生成将外部知识库与生成模型结合，显著降低了幻觉。",
            "我们构建了包含十万条指令的中文数据集用于指令微调和人类反馈强化学习。",
            "通过知识蒸馏，学生模型以十分之一的参数保留了教师模型的精度。",
            "多模态预训练模型把图像特征与文本表示对齐到同一语义空间。",
            "注意力机制的稀疏化与权重量化使大模型推理速度提升三倍。",
            "提示学习使模型在小样本条件下也能完成分类和实体抽取任务。",
            "我们提出评估生成式人工智能事实一致性的自动指标。",
            "深度神经网络的可解释性分析揭示了模型决策所依赖的特征。",
        ],
        "sentences_en": [
            "We fine-tune a large language model with low-rank adapters, training one percent of "
            "the parameters.",
            "Retrieval-augmented generation grounds the answers of the language model in a "
            "document index and reduces hallucination.",
            "Instruction tuning with reinforcement learning from human feedback aligns the model "
            "with user intent.",
            "A transformer student trained by knowledge distillation keeps the accuracy of its "
            "teacher at a tenth of its size.",
            "Our multimodal model aligns image features and text embeddings in a shared space.",
            "Sparse attention and weight quantization speed up inference of large models.",
            "Prompt-based few-shot learning matches supervised classifiers on named entity "
            "recognition.",
            "We propose reference-free metrics for the factual consistency of generated text.",
            "Pre-training on a trillion tokens gives emergent reasoning abilities to neural "
            "networks.",
            "Interpretability probes show which features the deep learning model relies on.",
        ],
    },
    "net": {
        "keywords_zh": [
            "6G",
            "5G",
            "无线通信",
            "基站",
            "波束赋形",
            "信道估计",
            "网络切片",
            "频谱",
            "卫星通信",
            "MIMO",
        ],
        "keywords_en": [
            "6G",
            "5G",
            "wireless communication",
            "base station",
            "beamforming",
            "channel estimation",
            "network slicing",
            "spectrum",
            "satellite",
            "MIMO",
        ],
        "titles_zh": [
            "面向6G的通感一体化空口设计",
            "5G-Advanced网络切片的智能编排",
            "大规模MIMO基站的波束赋形与信道估计",
            "毫米波与太赫兹通信的链路预算分析",
            "低轨卫星与地面5G网络融合架构",
            "工业互联网中的5G专网时延保障",
        ],
        "titles_en": [
            "Integrated sensing and communication for 6G air interfaces",
            "Network slicing orchestration in 5G-Advanced core networks",
            "Beamforming and channel estimation for massive MIMO base stations",
            "Terahertz links: propagation measurements and link budgets",
            "Non-terrestrial networks: integrating LEO satellites with 5G",
            "Ultra-reliable low-latency communication for private 5G networks",
        ],
        "sentences_zh": [
            "我们设计了通信与感知一体化的6G波形，在同一频谱上完成测距与数据传输。",
            "网络切片编排器根据业务需求动态分配无线资源和核心网功能。",
            "大规模MIMO基站采用混合波束赋形，降低了射频链路数量和功耗。",
            "基于深度学习的信道估计在高速移动场景下降低了误码率。",
            "太赫兹频段的传播测量表明路径损耗随湿度显著变化。",
            "低轨卫星星座与地面基站协同，实现偏远地区的无缝覆盖。",
            "5G专网为工厂提供低于十毫秒的端到端时延和高可靠连接。",
            "开放无线接入网架构将基带处理虚拟化并部署在边缘云上。",
            "智能反射面通过调整相位提升了小区边缘用户的信噪比。",
            "我们在现网基站上验证了频谱共享和干扰协调算法。",
        ],
        "sentences_en": [
            "Our 6G waveform performs radar sensing and data transmission in the same spectrum.",
            "The slice orchestrator allocates radio resources and core network functions on "
            "demand.",
            "Hybrid beamforming at massive MIMO base stations reduces the number of RF chains.",
            "Channel estimation with deep learning lowers the bit error rate at high mobility.",
            "Terahertz propagation measurements show path loss varying with humidity.",
            "A LEO satellite constellation cooperates with terrestrial base stations for coverage.",
            "Private 5G networks give factories end-to-end latency below ten milliseconds.",
            "Open RAN virtualises baseband processing on edge cloud servers.",
            "Reconfigurable intelligent surfaces raise the SNR of cell-edge users.",
            "Spectrum sharing and interference coordination were tested on live base stations.",
        ],
    },
    "data": {
        "keywords_zh": [
            "大数据",
            "数据治理",
            "数据要素",
            "隐私计算",
            "流处理",
            "数据仓库",
            "数据共享",
            "数据交易",
            "分布式计算",
            "数据质量",
        ],
        "keywords_en": [
            "big data",
            "data governance",
            "data assets",
            "privacy computing",
            "stream processing",
            "data warehouse",
            "data sharing",
            "data exchange",
            "distributed computing",
            "data quality",
        ],
        "titles_zh": [
            "数据要素流通中的隐私计算平台",
            "城市级时空大数据的实时分析系统",
            "湖仓一体架构下的海量数据治理",
            "公共数据授权运营与数据交易机制",
            "面向政务服务的数据共享与质量评估",
            "分布式流处理引擎的低时延调度",
        ],
        "titles_en": [
            "A lakehouse architecture for governed analytics at petabyte scale",
            "Real-time spatio-temporal analytics for smart cities",
            "Data marketplaces: pricing and trading of data assets",
            "Data quality assessment for open government data",
            "Low-latency scheduling in distributed stream processing",
            "Federated analytics across data silos with privacy computing",
        ],
        "sentences_zh": [
            "平台采用联邦学习和多方安全计算，实现数据可用不可见。",
            "我们构建了城市交通时空大数据的实时分析系统，每秒处理百万条轨迹。",
            "湖仓一体架构统一了数据湖与数据仓库的元数据和访问控制。",
            "数据资产登记与定价机制支撑了数据交易所的场内交易。",
            "数据治理框架覆盖数据标准、数据质量和数据血缘管理。",
            "分布式流处理引擎的调度器将查询时延降低到亚秒级。",
            "政务数据共享平台汇聚了四十个部门的数据目录。",
            "列式存储和向量化执行加速了海量数据的交互式查询。",
            "数据清洗与去重提升了跨部门数据融合的准确率。",
            "我们设计了面向数据要素市场的收益分配模型。",
        ],
        "sentences_en": [
            "The platform combines federated analytics with secure multi-party computation.",
            "Our streaming system ingests a million vehicle trajectories per second for traffic "
            "analytics.",
            "A lakehouse unifies the metadata and access control of the data lake and the data "
            "warehouse.",
            "We study pricing mechanisms for data assets traded on data exchanges.",
            "The data governance framework covers standards, data quality and lineage.",
            "Columnar storage and vectorised execution accelerate interactive queries on big data.",
            "The stream processing scheduler brings query latency below one second.",
            "Open government data portals are assessed for completeness and timeliness.",
            "Entity resolution and deduplication improve the integration of data sources.",
            "Distributed SQL engines scale data pipelines across thousands of nodes.",
        ],
    },
    "security": {
        "keywords_zh": [
            "网络安全",
            "恶意代码",
            "漏洞挖掘",
            "入侵检测",
            "零信任",
            "密码学",
            "威胁情报",
            "攻击溯源",
            "安全防护",
            "数据安全",
        ],
        "keywords_en": [
            "cybersecurity",
            "malware",
            "vulnerability",
            "intrusion detection",
            "zero trust",
            "cryptography",
            "threat intelligence",
            "attribution",
            "defence",
            "data security",
        ],
        "titles_zh": [
            "基于大模型的恶意代码检测与家族分类",
            "关键信息基础设施的零信任安全架构",
            "面向工业控制系统的入侵检测方法",
            "软件供应链漏洞的自动化挖掘",
            "抗量子密码算法的高效实现",
            "网络攻击溯源与威胁情报分析",
        ],
        "titles_en": [
            "Malware family classification with graph neural networks",
            "Zero-trust architecture for critical information infrastructure",
            "Intrusion detection for industrial control systems",
            "Automated vulnerability discovery in the software supply chain by fuzzing",
            "Efficient implementation of post-quantum cryptography",
            "Attack attribution with cyber threat intelligence",
        ],
        "sentences_zh": [
            "我们从二进制代码中提取控制流图，用图神经网络识别恶意软件家族。",
            "零信任架构对每一次访问请求进行持续身份认证和最小权限授权。",
            "工业控制系统入侵检测模型能够发现针对可编程控制器的异常指令。",
            "模糊测试工具在开源组件中发现了二十七个未公开漏洞。",
            "格密码算法在嵌入式设备上的实现将签名时间缩短一半。",
            "威胁情报知识图谱关联了攻击组织、恶意域名和攻击手法。",
            "勒索软件的加密行为可以通过文件系统监控提前阻断。",
            "我们分析了钓鱼邮件的传播链路并提出了检测方法。",
            "安全运营中心利用日志关联分析发现高级持续性威胁。",
            "数据脱敏和访问审计保护了个人信息安全。",
        ],
        "sentences_en": [
            "Control-flow graphs extracted from binaries let a graph neural network classify "
            "malware families.",
            "Zero-trust access control authenticates every request continuously with least "
            "privilege.",
            "Our intrusion detection system flags anomalous commands sent to PLCs.",
            "Coverage-guided fuzzing found 27 previously unknown vulnerabilities in open-source "
            "packages.",
            "Lattice-based signatures run twice as fast on embedded devices.",
            "A threat intelligence graph links attacker groups, malicious domains and techniques.",
            "Ransomware encryption is blocked early by monitoring the file system.",
            "We trace phishing campaigns and detect spoofed senders.",
            "Log correlation in the security operations centre exposes advanced persistent "
            "threats.",
            "Exploit mitigation and sandboxing contain attacks on browsers.",
        ],
    },
    "chips": {
        "keywords_zh": [
            "芯片",
            "集成电路",
            "处理器",
            "RISC-V",
            "半导体",
            "EDA",
            "先进封装",
            "光刻",
            "加速器",
            "低功耗",
        ],
        "keywords_en": [
            "chip",
            "integrated circuit",
            "processor",
            "RISC V",
            "semiconductor",
            "EDA",
            "advanced packaging",
            "lithography",
            "accelerator",
            "low power",
        ],
        "titles_zh": [
            "基于RISC-V的高能效处理器设计",
            "面向神经网络推理的存算一体芯片",
            "先进封装中的芯粒互连技术",
            "极紫外光刻工艺的缺陷检测",
            "国产EDA工具的时序分析与布局布线",
            "低功耗物联网芯片的电源管理",
        ],
        "titles_en": [
            "An energy-efficient RISC-V processor with vector extensions",
            "Compute-in-memory accelerators for neural network inference",
            "Chiplet interconnects in advanced packaging",
            "Defect inspection for extreme ultraviolet lithography",
            "Timing analysis and placement in open-source EDA",
            "Power management for ultra-low-power IoT system-on-chip",
        ],
        "sentences_zh": [
            "我们设计了支持向量扩展的RISC-V处理器核，主频达到二点五吉赫兹。",
            "存算一体架构在存储阵列内完成乘加运算，能效提升十倍。",
            "芯粒之间采用高密度硅中介层互连，带宽达到每秒太字节级。",
            "极紫外光刻掩模的缺陷检测采用深度学习图像分析。",
            "时序分析与布局布线工具在七纳米工艺上完成了流片验证。",
            "动态电压频率调节降低了物联网芯片的待机功耗。",
            "晶圆制造良率模型预测了工艺波动对晶体管性能的影响。",
            "神经网络加速器的片上缓存设计减少了外部存储访问。",
            "第三代半导体氮化镓器件提高了功率转换效率。",
            "芯片验证平台在流片前发现了缓存一致性协议的缺陷。",
        ],
        "sentences_en": [
            "Our RISC-V core with vector extensions reaches 2.5 GHz in a 7 nm process.",
            "Compute-in-memory macros perform multiply-accumulate inside SRAM arrays for ten "
            "times better energy efficiency.",
            "Chiplets communicate over a silicon interposer with terabyte-per-second bandwidth.",
            "Mask defects for EUV lithography are found by deep image analysis.",
            "The placement and routing flow met timing closure at tape-out.",
            "Dynamic voltage and frequency scaling cuts the standby power of the SoC.",
            "A wafer yield model predicts how process variation shifts transistor performance.",
            "On-chip buffers of the accelerator reduce DRAM accesses.",
            "Gallium nitride transistors raise the efficiency of power converters.",
            "Pre-silicon verification caught a bug in the cache coherence protocol.",
        ],
    },
    "robots": {
        "keywords_zh": [
            "具身智能",
            "机器人",
            "人形机器人",
            "运动控制",
            "强化学习",
            "机械臂",
            "SLAM",
            "模仿学习",
            "人机协作",
            "灵巧手",
        ],
        "keywords_en": [
            "embodied AI",
            "robotics",
            "humanoid",
            "motion control",
            "reinforcement learning",
            "robot arm",
            "SLAM",
            "imitation learning",
            "human robot collaboration",
            "dexterous hand",
        ],
        "titles_zh": [
            "具身智能机器人的视觉语言动作模型",
            "人形机器人的全身运动控制",
            "基于强化学习的灵巧手操作",
            "移动机器人在未知环境中的同步定位与建图",
            "仿真到现实迁移的机器人策略学习",
            "服务机器人的人机协作与安全",
        ],
        "titles_en": [
            "Vision-language-action models for embodied agents",
            "Whole-body control of humanoid robots",
            "Dexterous manipulation with reinforcement learning",
            "Simultaneous localisation and mapping for mobile robots",
            "Sim-to-real transfer of robot locomotion policies",
            "Safe human-robot collaboration in service robotics",
        ],
        "sentences_zh": [
            "视觉语言动作模型把自然语言指令直接映射为机械臂的控制动作。",
            "人形机器人的全身控制器在崎岖地面上保持行走稳定。",
            "灵巧手通过强化学习在仿真中学会了旋转和抓取物体。",
            "激光雷达与视觉融合的同步定位与建图在大型商场中实时运行。",
            "域随机化缩小了仿真到现实的差距，使四足机器人策略直接部署。",
            "力矩传感器和碰撞检测保证了协作机器人与人共处的安全。",
            "具身智能体在家庭环境中完成了整理桌面和开门等长程任务。",
            "遥操作数据采集系统为机器人模仿学习提供了示教轨迹。",
            "触觉传感器阵列提高了机械手抓取易碎物体的成功率。",
            "机器人路径规划算法在动态障碍物之间生成平滑轨迹。",
        ],
        "sentences_en": [
            "A vision-language-action model maps spoken instructions to robot arm actions.",
            "The whole-body controller keeps the humanoid balanced on rough terrain.",
            "A dexterous hand learns in-hand rotation and grasping in simulation.",
            "Lidar-visual SLAM runs in real time in a large shopping mall.",
            "Domain randomisation closes the sim-to-real gap for quadruped locomotion.",
            "Torque sensing and collision detection make cobots safe around people.",
            "The embodied agent tidies tables and opens doors in long-horizon household tasks.",
            "Teleoperation rigs collect demonstrations for imitation learning.",
            "Tactile sensor arrays help grippers pick up fragile objects.",
            "Motion planning produces smooth trajectories around moving obstacles.",
        ],
    },
}

# Boilerplate common to every field, assembled from parts so that two texts share words of it
# but rarely a whole sentence (as real abstracts do).
GENERAL_ZH = [
    [
        "本文提出了一种新方法，",
        "项目团队联合高校和科研院所，",
        "针对行业痛点，",
        "我们设计并实现了系统，",
    ],
    ["在多个公开数据集上", "在实际业务场景中", "经过三年的持续研发", "与国内外同类方案相比"],
    [
        "取得了领先性能。",
        "产生了显著的经济和社会效益。",
        "形成了自主知识产权。",
        "降低了成本并提升了效率。",
    ],
]
GENERAL_EN = [
    [
        "We propose a novel approach that",
        "Working with universities, the team",
        "Our system",
        "Addressing an industry need, the project",
    ],
    [
        "achieves state-of-the-art results on public benchmarks",
        "was deployed by several companies",
        "outperforms existing solutions",
        "was developed over three years",
    ],
    [
        "with clear economic benefits.",
        "at lower cost.",
        "and holds several patents.",
        "with open-source releases.",
    ],
]


@dataclass(frozen=True)
class Corpus:
    expert_documents: list[list[str]]
    expert_tracks: list[str]
    submission_texts: list[str]
    submission_tracks: list[str]


def _text(rng: random.Random, track: dict, half: int, lang: str, sentences: int) -> str:
    """A title and ``sentences`` sentences of one track, from one half of its material."""
    titles = track[f"titles_{lang}"][half::2]
    pool = track[f"sentences_{lang}"][half::2]
    body = rng.sample(pool, min(sentences, len(pool)))
    if rng.random() < 0.5:
        parts = GENERAL_ZH if lang == "zh" else GENERAL_EN
        body.append(("" if lang == "zh" else " ").join(rng.choice(part) for part in parts))
    rng.shuffle(body)
    # Papers and applications list a few keywords of their field.
    keywords = rng.sample(track[f"keywords_{lang}"], 3)
    body.append(
        "关键词：" + "、".join(keywords) if lang == "zh" else "Keywords: " + ", ".join(keywords)
    )
    return (
        rng.choice(titles)
        + ("。" if lang == "zh" else ". ")
        + "".join(body if lang == "zh" else [s + " " for s in body])
    )


def build(
    experts_per_track: int = 5,
    submissions_per_track: int = 10,
    *,
    seed: int = 7,
    secondary_share: float = 0.4,
) -> Corpus:
    """Experts with 3 to 5 documents (in Chinese, English or both) and submissions in either
    language, each with its true track."""
    rng = random.Random(seed)
    names = list(TRACKS)
    expert_documents, expert_tracks = [], []
    for name in names:
        for _ in range(experts_per_track):
            langs = rng.choices([["zh"], ["en"], ["zh", "en"]], weights=[1, 1, 3])[0]
            docs = [
                _text(rng, TRACKS[name], 0, rng.choice(langs), rng.randint(1, 3))
                for _ in range(rng.randint(3, 5))
            ]
            if rng.random() < secondary_share:
                other = rng.choice([n for n in names if n != name])
                docs[-1] = _text(rng, TRACKS[other], 0, rng.choice(langs), rng.randint(1, 3))
            expert_documents.append(docs)
            expert_tracks.append(name)
    submission_texts, submission_tracks = [], []
    for name in names:
        for _ in range(submissions_per_track):
            lang = rng.choice(["zh", "en"])
            text = _text(rng, TRACKS[name], 1, lang, rng.randint(2, 4))
            if rng.random() < 0.3:  # an interdisciplinary sentence from another field
                other = TRACKS[rng.choice([n for n in names if n != name])]
                text += " " + rng.choice(other[f"sentences_{lang}"])
            submission_texts.append(text)
            submission_tracks.append(name)
    return Corpus(expert_documents, expert_tracks, submission_texts, submission_tracks)
