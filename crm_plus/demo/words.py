# This file is part of crm_plus.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fixed word lists from which the demo composes names and addresses.

Names in scripts other than Latin are pairs of the native spelling and its
romanisation, which gives the ASCII e-mail addresses and web sites.
Phone patterns replace each # by a digit and follow each country's
numbering plan, so the numbers pass the host's validation when the
phonenumbers library is installed.
"""

# code: name, ISO 3166 alpha-3, numeric, currency, territory parent,
# administrative team, weight among partners
COUNTRIES = {
    'ES': ("Spain", 'ESP', '724', 'EUR', 'EUROPE', 'IBERIA', 18),
    'CZ': ("Czechia", 'CZE', '203', 'CZK', 'EUROPE', 'NCE', 12),
    'DE': ("Germany", 'DEU', '276', 'EUR', 'EUROPE', 'NCE', 14),
    'GB': ("United Kingdom", 'GBR', '826', 'GBP', 'EUROPE', 'NCE', 8),
    'JP': ("Japan", 'JPN', '392', 'JPY', 'ASIA', 'APAC', 12),
    'CN': ("China", 'CHN', '156', 'CNY', 'ASIA', 'APAC', 10),
    'US': ("United States", 'USA', '840', 'USD', 'AMERICAS', 'AMER', 14),
    'MX': ("Mexico", 'MEX', '484', 'MXN', 'AMERICAS', 'AMER', 7),
    'BR': ("Brazil", 'BRA', '076', 'BRL', 'AMERICAS', 'AMER', 5),
    }

# code: name, numeric code, symbol, digits, units of the currency for one
# euro (a rate at the start of the demo year, so amounts can be converted)
CURRENCIES = {
    'EUR': ("Euro", '978', '€', 2, '1'),
    'CZK': ("Czech Koruna", '203', 'Kč', 2, '25.2'),
    'GBP': ("Pound Sterling", '826', '£', 2, '0.85'),
    'JPY': ("Yen", '392', '¥', 0, '160'),
    'CNY': ("Yuan Renminbi", '156', '¥', 2, '7.8'),
    'USD': ("US Dollar", '840', '$', 2, '1.08'),
    'MXN': ("Mexican Peso", '484', '$', 2, '19.5'),
    'BRL': ("Brazilian Real", '986', 'R$', 2, '5.6'),
    }

# (code, name, parent code, description); parents come first
TERRITORIES = [
    ('WORLD', "World", None, "All markets of the company."),
    ('EUROPE', "Europe", 'WORLD', "Served from the head office in Madrid."),
    ('ASIA', "Asia", 'WORLD', "Served from the Tokyo branch."),
    ('AMERICAS', "Americas", 'WORLD', "Served from the Chicago branch."),
    ] + [
    (code, values[0], values[4], None) for code, values in COUNTRIES.items()]

# (code, name, parent code); parents come first
ADMINISTRATIVE_TEAMS = [
    ('SALES', "Sales", None),
    ('EMEA', "EMEA", 'SALES'),
    ('APAC', "APAC", 'SALES'),
    ('AMER', "Americas", 'SALES'),
    ('IBERIA', "Iberia", 'EMEA'),
    ('NCE', "Northern and Central Europe", 'EMEA'),
    ]
# The teams in which sales representatives work, in the order they are
# staffed: the larger markets get more people.
REPRESENTATIVE_TEAMS = [
    'NCE', 'AMER', 'APAC', 'IBERIA', 'NCE', 'AMER', 'APAC', 'IBERIA', 'NCE',
    'AMER']
# The regional teams whose leaders the company hires first
REGIONAL_TEAMS = ['EMEA', 'APAC', 'AMER']
CROSS_FUNCTIONAL_TEAMS = [
    ('KEY', "Key Accounts"),
    ('PUBLIC', "Public Sector"),
    ]

# code, name, weight, SIC codes of the industry
INDUSTRIES = [
    ('AGR', "Agriculture, Forestry and Fishing", 3,
        ['0111', '0161', '0241', '0811', '0912']),
    ('MIN', "Mining", 3, ['1011', '1221', '1311', '1422']),
    ('CON', "Construction", 8, ['1521', '1541', '1623', '1731', '1791']),
    ('MFG', "Manufacturing", 34,
        ['2011', '2086', '2821', '3312', '3559', '3561', '3569', '3585',
            '3599', '3711', '3714']),
    ('TRN', "Transportation and Utilities", 10,
        ['4213', '4225', '4412', '4911', '4941']),
    ('WHL', "Wholesale Trade", 12, ['5013', '5045', '5063', '5084', '5141']),
    ('RET', "Retail Trade", 6, ['5311', '5411', '5651', '5731', '5912']),
    ('FIN', "Finance, Insurance and Real Estate", 5,
        ['6021', '6311', '6411', '6512']),
    ('SRV', "Services", 12, ['7371', '7373', '7389', '8062', '8711']),
    ('PUB', "Public Administration", 7, ['9111', '9121', '9221', '9511']),
    ]

# code, name, weight
COMPANY_TYPES = [
    ('END', "End Customer", 45),
    ('DIST', "Distributor", 15),
    ('RESELL', "Reseller", 10),
    ('OEM', "Original Equipment Manufacturer", 15),
    ('PUB', "Public Body", 10),
    ('NPO', "Non-Profit Organisation", 5),
    ]

# name, code, unit (XML id in product), list price, quantities
GOODS = [
    ("Industrial Pump", 'PMP', 'uom_unit', 2400, (1, 20)),
    ("Servo Motor", 'SRV', 'uom_unit', 850, (2, 40)),
    ("Control Cabinet", 'CAB', 'uom_unit', 5200, (1, 8)),
    ("Sensor Kit", 'SNS', 'uom_unit', 390, (5, 60)),
    ("Conveyor Module", 'CNV', 'uom_unit', 3100, (1, 12)),
    ("Laser Cutter", 'LSR', 'uom_unit', 48000, (1, 2)),
    ("Hydraulic Press", 'HYD', 'uom_unit', 36000, (1, 3)),
    ("Robot Arm", 'RBT', 'uom_unit', 27500, (1, 5)),
    ("Packaging Line", 'PKG', 'uom_unit', 64000, (1, 2)),
    ("Air Compressor", 'CMP', 'uom_unit', 4300, (1, 6)),
    ]
# Sizes multiply the price of the family
GOODS_SIZES = [("S", 0.7), ("M", 1), ("L", 1.45), ("XL", 2.1), ("Pro", 2.8)]
SERVICES = [
    ("Installation", 'INS', 'uom_hour', 95, (8, 80)),
    ("On-site Training", 'TRN', 'uom_hour', 120, (4, 40)),
    ("Engineering Consulting", 'CNS', 'uom_hour', 150, (8, 120)),
    ("Commissioning", 'COM', 'uom_hour', 110, (8, 60)),
    ("Annual Maintenance Contract", 'MNT', 'uom_unit', 6800, (1, 3)),
    ("Remote Support Package", 'SUP', 'uom_unit', 1900, (1, 5)),
    ]

OPPORTUNITY_DESCRIPTIONS = [
    "New production line",
    "Replacement of legacy equipment",
    "Plant expansion",
    "Pilot project",
    "Framework agreement",
    "Spare parts and service",
    "Automation upgrade",
    "Energy efficiency retrofit",
    "Second site roll-out",
    "Maintenance renewal",
    "Capacity increase",
    "Tender",
    ]
FREEZE_REASONS = [
    "The customer merges with another group.",
    "Budget frozen until the annual audit.",
    "The decision maker left the company.",
    "Waiting for the public tender to be published.",
    ]

LOST_REASONS = [
    "Price too high.",
    "The customer chose a competitor.",
    "Project postponed to next year.",
    "No budget.",
    "No answer after the quotation.",
    "Delivery time too long.",
    ]

# The company the demo sells from
COMPANY = {
    'name': "Meridiana Industrial S.L.",
    'domain': 'meridiana.example',
    'country': 'ES',
    'city': "Madrid",
    'postal_code': '28046',
    'street_name': "Paseo de la Castellana",
    'building_number': '95',
    }

# Per country:
#   name: how an organisation name is composed from the lists
#   kinds, cores, legal: the parts of organisation names
#   male, female: first names; surnames: family names, and
#   surnames_female where women carry another form of them
#   person: how a person's name is composed; surname: its family name part
#   cities: (city, postal codes); streets: street names
#   phone, mobile: number patterns
NAMES = {
    'ES': {
        'name': "{kind} {core} {legal}",
        'kinds': [
            "Construcciones", "Industrias", "Distribuciones", "Transportes",
            "Talleres", "Laboratorios", "Alimentación", "Ingeniería",
            "Comercial", "Servicios Técnicos"],
        'cores': [
            "Ibérica", "del Norte", "Levante", "Cantábrica", "Mediterránea",
            "Castellana", "Galaica", "Aragonesa", "Sierra Nevada",
            "Guadalquivir", "Montseny", "Duero"],
        'legal': ["S.A.", "S.L.", "S.L."],
        'male': [
            "José", "Javier", "Carlos", "Álvaro", "Miguel", "Pablo",
            "Sergio", "Jorge"],
        'female': [
            "María", "Carmen", "Lucía", "Laura", "Marta", "Elena", "Paula",
            "Ana"],
        'surnames': [
            "García", "Fernández", "González", "Rodríguez", "López",
            "Martínez", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez",
            "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
            "Romero"],
        # Spaniards carry two family names and are sorted by the first.
        'person': "{first} {surname} {surname2}",
        'surname': "{surname} {surname2}",
        'cities': [
            ("Madrid", ['28001', '28004', '28010', '28020', '28046']),
            ("Barcelona", ['08001', '08008', '08015', '08036']),
            ("Valencia", ['46001', '46004', '46021']),
            ("Sevilla", ['41001', '41004', '41011']),
            ("Bilbao", ['48001', '48008', '48013']),
            ("Zaragoza", ['50001', '50004', '50012']),
            ("Málaga", ['29001', '29004']),
            ("Valladolid", ['47001', '47008']),
            ],
        'streets': [
            "Calle Mayor", "Gran Vía", "Calle de Alcalá",
            "Paseo de la Castellana", "Avenida Diagonal", "Calle Serrano",
            "Calle del Carmen", "Avenida de América"],
        'phone': "+34 91# ### ###",
        'mobile': "+34 6## ### ###",
        },
    'CZ': {
        'name': "{kind} {core} {legal}",
        'kinds': [
            "Strojírny", "Stavby", "Pivovar", "Sklárny", "Elektro",
            "Logistika", "Potraviny", "Kovovýroba", "Chemie", "Technika"],
        'cores': [
            "Morava", "Vltava", "Šumava", "Krkonoše", "Beskydy", "Labe",
            "Vysočina", "Jizera", "Radhošť", "Polabí", "Brdy", "Podyjí"],
        'legal': ["s.r.o.", "s.r.o.", "a.s."],
        'male': [
            "Jan", "Petr", "Tomáš", "Martin", "Jakub", "Lukáš", "Pavel",
            "Jiří"],
        'female': [
            "Jana", "Eva", "Lucie", "Petra", "Tereza", "Kateřina", "Hana",
            "Lenka"],
        'surnames': [
            "Novák", "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka",
            "Kučera", "Veselý", "Horák", "Němec", "Pokorný", "Marek"],
        # Czech women carry the feminine form of the family name.
        'surnames_female': [
            "Nováková", "Svobodová", "Novotná", "Dvořáková", "Černá",
            "Procházková", "Kučerová", "Veselá", "Horáková", "Němcová",
            "Pokorná", "Marková"],
        'person': "{first} {surname}",
        'surname': "{surname}",
        'cities': [
            ("Praha", ['110 00', '120 00', '140 00', '150 00', '170 00']),
            ("Brno", ['602 00', '612 00', '616 00']),
            ("Ostrava", ['702 00', '709 00']),
            ("Plzeň", ['301 00', '323 00']),
            ("Liberec", ['460 01']),
            ("Olomouc", ['779 00']),
            ("Zlín", ['760 01']),
            ("České Budějovice", ['370 01']),
            ],
        'streets': [
            "Husova", "Masarykova", "Palackého", "Komenského", "Nádražní",
            "Školní", "Jiráskova", "Smetanova"],
        'phone': "+420 2## ### ###",
        'mobile': "+420 73# ### ###",
        },
    'DE': {
        'name': "{core} {kind} {legal}",
        'kinds': [
            "Maschinenbau", "Logistik", "Elektrotechnik", "Feinmechanik",
            "Anlagenbau", "Handel", "Automation", "Metallbau"],
        'cores': [
            "Müller", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann",
            "Schäfer", "Koch", "Wagner", "Krüger", "Rhein", "Hansa", "Elbe"],
        'legal': ["GmbH", "GmbH", "AG", "GmbH & Co. KG"],
        'male': [
            "Lukas", "Jonas", "Felix", "Maximilian", "Paul", "Leon",
            "Tobias", "Stefan"],
        'female': [
            "Anna", "Sophie", "Laura", "Julia", "Lea", "Hannah",
            "Katharina", "Sarah"],
        'surnames': [
            "Schmidt", "Müller", "Schneider", "Fischer", "Weber", "Meyer",
            "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter"],
        'person': "{first} {surname}",
        'surname': "{surname}",
        'cities': [
            ("Berlin", ['10115', '10178', '10969']),
            ("Hamburg", ['20095', '20457']),
            ("München", ['80331', '80335', '81675']),
            ("Köln", ['50667', '50670']),
            ("Frankfurt am Main", ['60311', '60329']),
            ("Stuttgart", ['70173', '70182']),
            ("Leipzig", ['04109']),
            ("Dresden", ['01067']),
            ],
        'streets': [
            "Hauptstraße", "Bahnhofstraße", "Schillerstraße",
            "Goethestraße", "Gartenstraße", "Lindenstraße",
            "Industriestraße", "Friedrichstraße"],
        'phone': "+49 30 ########",
        'mobile': "+49 151 ########",
        },
    'GB': {
        'name': "{core} {kind} {legal}",
        'kinds': [
            "Engineering", "Logistics", "Holdings", "Trading", "Foods",
            "Systems", "Electronics", "Construction"],
        'cores': [
            "Thames", "Pennine", "Albion", "Northern", "Highland", "Severn",
            "Mersey", "Cotswold", "Kingsway", "Windsor", "Clyde", "Tyne"],
        'legal': ["Ltd", "Ltd", "plc"],
        'male': ["Oliver", "George", "Harry", "Jack", "James", "William"],
        'female': [
            "Amelia", "Olivia", "Emily", "Isla", "Grace", "Charlotte"],
        'surnames': [
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson",
            "Johnson", "Davies", "Evans", "Thomas", "Roberts", "Walker"],
        'person': "{first} {surname}",
        'surname': "{surname}",
        'cities': [
            ("London", ['EC1A 1BB', 'SW1A 2AA', 'W1D 3QU', 'E14 5AB']),
            ("Manchester", ['M1 1AE', 'M2 3WQ']),
            ("Birmingham", ['B1 1AA', 'B3 2DJ']),
            ("Leeds", ['LS1 4AP']),
            ("Glasgow", ['G1 1XQ', 'G2 8LE']),
            ("Bristol", ['BS1 4DJ']),
            ],
        'streets': [
            "High Street", "Station Road", "Church Lane", "Victoria Road",
            "King Street", "Park Road"],
        'phone': "+44 20 7### ####",
        'mobile': "+44 7400 ######",
        },
    'US': {
        'name': "{core} {kind} {legal}",
        'kinds': [
            "Systems", "Industries", "Foods", "Analytics", "Manufacturing",
            "Logistics", "Technologies", "Supply"],
        'cores': [
            "Pacific", "Liberty", "Summit", "Lakeside", "Frontier",
            "Keystone", "Redwood", "Granite", "Heartland", "Bayview",
            "Silverline", "Ironbridge"],
        'legal': ["Inc.", "LLC", "Corp."],
        'male': [
            "Michael", "David", "John", "Robert", "Daniel", "Christopher"],
        'female': [
            "Jennifer", "Jessica", "Ashley", "Emily", "Sarah", "Elizabeth"],
        'surnames': [
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller",
            "Davis", "Garcia", "Rodriguez", "Wilson", "Anderson", "Taylor"],
        'person': "{first} {surname}",
        'surname': "{surname}",
        'cities': [
            ("New York", ['10001', '10017', '10038']),
            ("Chicago", ['60601', '60606', '60611']),
            ("Houston", ['77002', '77056']),
            ("San Francisco", ['94105', '94111']),
            ("Seattle", ['98101', '98104']),
            ("Boston", ['02108', '02110']),
            ("Atlanta", ['30303', '30308']),
            ("Denver", ['80202']),
            ],
        'streets': [
            "Main Street", "Oak Avenue", "Maple Street", "Washington Avenue",
            "Market Street", "Broadway"],
        'phone': "+1 312 6## ####",
        'mobile': "+1 312 7## ####",
        },
    'MX': {
        'name': "{kind} {core} {legal}",
        'kinds': [
            "Grupo", "Industrias", "Comercializadora", "Constructora",
            "Transportes", "Alimentos"],
        'cores': [
            "Azteca", "del Pacífico", "Jalisco", "Maya", "Sierra Madre",
            "del Bajío", "Regiomontana", "Anáhuac", "Queretana", "Huasteca"],
        'legal': ["S.A. de C.V.", "S. de R.L. de C.V."],
        'male': ["Luis", "Juan", "Alejandro", "Fernando", "Ricardo", "Diego"],
        'female': [
            "Guadalupe", "Sofía", "Valeria", "Ximena", "Daniela", "Rosa"],
        'surnames': [
            "Hernández", "García", "Martínez", "López", "González", "Pérez",
            "Rodríguez", "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez"],
        'person': "{first} {surname} {surname2}",
        'surname': "{surname} {surname2}",
        'cities': [
            ("Ciudad de México", ['06000', '06600', '11560']),
            ("Guadalajara", ['44100', '44600']),
            ("Monterrey", ['64000', '64620']),
            ("Puebla", ['72000']),
            ("Querétaro", ['76000']),
            ("Mérida", ['97000']),
            ],
        'streets': [
            "Avenida Reforma", "Avenida Insurgentes", "Calle Madero",
            "Avenida Juárez", "Calle Hidalgo", "Avenida Revolución"],
        'phone': "+52 55 #### ####",
        'mobile': "+52 81 #### ####",
        },
    'BR': {
        'name': "{kind} {core} {legal}",
        'kinds': [
            "Indústrias", "Comércio", "Transportes", "Construtora",
            "Alimentos", "Metalúrgica"],
        'cores': [
            "Paulista", "Carioca", "Amazônia", "do Sul", "Mineira",
            "Atlântico", "Ipiranga", "Guanabara", "Cerrado", "Pampa"],
        'legal': ["Ltda.", "Ltda.", "S.A."],
        'male': ["João", "Pedro", "Lucas", "Gabriel", "Rafael", "Mateus"],
        'female': [
            "Ana", "Maria", "Juliana", "Beatriz", "Camila", "Fernanda"],
        'surnames': [
            "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira",
            "Alves", "Pereira", "Lima", "Gomes", "Costa", "Ribeiro"],
        'person': "{first} {surname}",
        'surname': "{surname}",
        'cities': [
            ("São Paulo", ['01310-100', '04538-132', '01001-000']),
            ("Rio de Janeiro", ['20040-002', '22250-040']),
            ("Belo Horizonte", ['30130-000']),
            ("Curitiba", ['80010-000']),
            ("Porto Alegre", ['90010-000']),
            ("Salvador", ['40020-000']),
            ],
        'streets': [
            "Rua Augusta", "Avenida Paulista", "Rua das Flores",
            "Avenida Brasil", "Rua XV de Novembro", "Avenida Atlântica"],
        'phone': "+55 11 3### ####",
        'mobile': "+55 11 9#### ####",
        },
    'JP': {
        'name': "{legal}{core}{kind}",
        'kinds': [
            ("製作所", 'seisakusho'), ("商事", 'shoji'), ("電機", 'denki'),
            ("工業", 'kogyo'), ("物産", 'bussan'), ("精機", 'seiki'),
            ("化学", 'kagaku'), ("建設", 'kensetsu')],
        'cores': [
            ("山田", 'yamada'), ("東洋", 'toyo'), ("大和", 'yamato'),
            ("北斗", 'hokuto'), ("三光", 'sanko'), ("富士見", 'fujimi'),
            ("青葉", 'aoba'), ("旭", 'asahi'), ("若葉", 'wakaba'),
            ("桜井", 'sakurai'), ("中央", 'chuo'), ("光洋", 'koyo')],
        'legal': ["株式会社", "株式会社", "有限会社"],
        'male': [
            ("太郎", 'taro'), ("健太", 'kenta'), ("翔太", 'shota'),
            ("大輔", 'daisuke'), ("誠", 'makoto'), ("拓也", 'takuya')],
        'female': [
            ("花子", 'hanako'), ("陽子", 'yoko'), ("美咲", 'misaki'),
            ("由美", 'yumi'), ("愛", 'ai'), ("恵", 'megumi')],
        'surnames': [
            ("佐藤", 'sato'), ("鈴木", 'suzuki'), ("高橋", 'takahashi'),
            ("田中", 'tanaka'), ("伊藤", 'ito'), ("渡辺", 'watanabe'),
            ("山本", 'yamamoto'), ("中村", 'nakamura'), ("小林", 'kobayashi'),
            ("加藤", 'kato')],
        # The family name comes first.
        'person': "{surname} {first}",
        'surname': "{surname}",
        'cities': [
            ("東京", ['100-0005', '105-0011', '160-0023']),
            ("大阪", ['530-0001', '541-0041']),
            ("名古屋", ['450-0002', '460-0008']),
            ("横浜", ['220-0011']),
            ("福岡", ['810-0001']),
            ("札幌", ['060-0001']),
            ],
        'streets': ["丸の内", "梅田", "栄", "みなとみらい", "天神", "大通西"],
        'phone': "+81 3-5###-####",
        'mobile': "+81 90-1###-####",
        },
    'CN': {
        'name': "{city}{core}{kind}有限公司",
        'kinds': [
            ("科技", 'keji'), ("贸易", 'maoyi'), ("制造", 'zhizao'),
            ("电子", 'dianzi'), ("机械", 'jixie'), ("物流", 'wuliu'),
            ("化工", 'huagong')],
        'cores': [
            ("华兴", 'huaxing'), ("金龙", 'jinlong'), ("长江", 'changjiang'),
            ("恒通", 'hengtong'), ("鼎盛", 'dingsheng'), ("瑞丰", 'ruifeng'),
            ("宏达", 'hongda'), ("天成", 'tiancheng'), ("嘉禾", 'jiahe'),
            ("永泰", 'yongtai')],
        'male': [
            ("伟", 'wei'), ("强", 'qiang'), ("磊", 'lei'), ("洋", 'yang'),
            ("军", 'jun'), ("建华", 'jianhua')],
        'female': [
            ("芳", 'fang'), ("娜", 'na'), ("敏", 'min'), ("静", 'jing'),
            ("艳", 'yan'), ("秀英", 'xiuying')],
        'surnames': [
            ("王", 'wang'), ("李", 'li'), ("张", 'zhang'), ("刘", 'liu'),
            ("陈", 'chen'), ("杨", 'yang'), ("黄", 'huang'), ("赵", 'zhao'),
            ("周", 'zhou'), ("吴", 'wu')],
        'person': "{surname}{first}",
        'surname': "{surname}",
        'cities': [
            (("北京", 'beijing'), ['100020', '100600']),
            (("上海", 'shanghai'), ['200000', '200120']),
            (("深圳", 'shenzhen'), ['518000']),
            (("广州", 'guangzhou'), ['510000']),
            (("杭州", 'hangzhou'), ['310000']),
            (("成都", 'chengdu'), ['610000']),
            ],
        'streets': ["建国路", "南京东路", "深南大道", "天河路", "延安路", "人民南路"],
        'phone': "+86 10 6### ####",
        'mobile': "+86 138 #### ####",
        },
    }

# Where leads come from: code, name, lead type it usually brings, weight
LEAD_SOURCES = [
    ('WEB', "Web form", 'inbound', 22),
    ('FAIR', "Trade fair", 'inbound', 16),
    ('REF', "Referral", 'referral', 12),
    ('COLD', "Cold call", 'outbound', 14),
    ('PARTNER', "Partner", 'partner', 10),
    ('ADS', "Advertising", 'inbound', 8),
    ('MAIL', "E-mail campaign", 'outbound', 8),
    ('WEBINAR', "Webinar", 'inbound', 5),
    ('ACCOUNT', "Account management", 'existing_customer', 5),
    ]

# The marketing campaigns that the leads of a source answered: (lead
# source code, name, campaign type, budget, expected responses, expected
# revenue, the search of partners it targets, closed). Their dates span
# the demo's history.
CAMPAIGNS = [
    ('FAIR', "European Trade Fairs", 'trade_fair', 60000, 400, 900000,
        '[["party_kind", "=", "organisation"], '
        '["territory.parent.name", "=", "Europe"]]', False),
    ('MAIL', "Customer Newsletter", 'email', 8000, 250, 300000,
        '[["party_kind", "=", "organisation"], '
        '["industry.name", "=", "Construction"]]', False),
    ('WEBINAR', "Product Webinars", 'event', 12000, 120, 250000,
        '[["party_kind", "=", "organisation"], '
        '["territory.parent.name", "=", "Asia"]]', True),
    ]

# The contact persons of organisations: (job title, department). The
# first list holds those the others report to; a small firm has only its
# boss and perhaps a buyer.
BOSS_TITLES = [
    ("Managing Director", "Management"),
    ("Chief Executive Officer", "Management"),
    ("Plant Manager", "Production"),
    ("Head of Operations", "Operations"),
    ("Chief Technical Officer", "Engineering"),
    ("Owner", "Management"),
    ]
STAFF_TITLES = [
    ("Purchasing Manager", "Purchasing"),
    ("Buyer", "Purchasing"),
    ("Maintenance Manager", "Maintenance"),
    ("Production Engineer", "Production"),
    ("Project Manager", "Engineering"),
    ("Quality Manager", "Quality"),
    ("Finance Controller", "Finance"),
    ("Logistics Coordinator", "Logistics"),
    ("Facility Manager", "Facilities"),
    ("Head of IT", "IT"),
    ]

# Subjects of activities by type code; a subject may name the
# opportunity's description with {topic}.
ACTIVITY_SUBJECTS = {
    'call': [
        "Introductory call", "Follow-up call on {topic}",
        "Call about requirements", "Clarify technical questions",
        "Call about delivery dates", "Check budget approval"],
    'meeting': [
        "Kick-off meeting: {topic}", "Site visit", "Product demonstration",
        "Negotiation meeting", "Technical workshop",
        "Quarterly account review"],
    'email': [
        "Send brochure and references", "Send technical data sheets",
        "Answer questions on {topic}", "Confirm meeting date",
        "Send revised quotation"],
    'letter': [
        "Send contract documents", "Welcome letter",
        "Invitation to the open house"],
    'fax': ["Signed order confirmation"],
    'inquiry': [
        "Request for quotation: {topic}", "Inquiry from the website",
        "Inquiry about spare parts"],
    'offer': [
        "Offer for {topic}", "Revised offer", "Offer for maintenance"],
    'contract': [
        "Contract negotiation", "Framework contract signed",
        "Service contract renewal"],
    'note': [
        "Notes from the trade fair", "Decision makers identified",
        "Competitor also quoting", "Budget approved for next quarter"],
    'task': [
        "Prepare quotation for {topic}", "Check stock and delivery time",
        "Prepare demonstration", "Update the decision map",
        "Ask engineering for a layout", "Book the site visit",
        "Prepare the tender documents"],
    }
# The types of activities with a partner and their weight; tasks are
# drawn apart for open opportunities.
ACTIVITY_TYPES = [
    ('call', 30), ('meeting', 16), ('email', 24), ('letter', 3),
    ('fax', 1), ('inquiry', 6), ('offer', 8), ('contract', 2),
    ('note', 10),
    ]
